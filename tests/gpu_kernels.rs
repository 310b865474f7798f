//! Every kernel in `core::gpu` against a straightforward CPU reference, on the first native adapter
//! (lavapipe in CI).
#![cfg(not(target_arch = "wasm32"))]

use mindseye_core::gpu::*;

fn context() -> Context {
    pollster::block_on(Context::new()).expect("a native GPU adapter (lavapipe in CI: apt mesa-vulkan-drivers)")
}

#[test]
fn all_kernels_compile() {
    for ctx in [context(), context().without_subgroups()] {
        Matvec::new(&ctx);
        Matmul::new(&ctx);
        Embedding::new(&ctx);
        RmsNorm::new(&ctx);
        Rope::new(&ctx);
        KvWrite::new(&ctx);
        Attention::new(&ctx);
        Glu::new(&ctx);
        ResidualAdd::new(&ctx);
        Softcap::new(&ctx);
        TopK::new(&ctx);
    }
}
