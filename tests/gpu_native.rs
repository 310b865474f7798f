//! The residual-add kernel from `shaders/`, dispatched through `core::gpu` on a real native adapter.
#![cfg(not(target_arch = "wasm32"))]

use mindseye_core::gpu::{Context, ResidualAdd, Step, read_f32, self_test, storage_f32, submit_pass};

fn context() -> Context {
    pollster::block_on(Context::new()).expect("a native adapter (lavapipe in CI: apt mesa-vulkan-drivers)")
}

#[test]
fn self_test_matches_the_cpu() {
    let ctx = context();
    let report = pollster::block_on(self_test(&ctx)).unwrap();
    assert_eq!(report.max_abs_error, 0.0);
}

#[test]
fn residual_add_handles_sizes_that_are_not_a_multiple_of_the_workgroup() {
    let ctx = context();
    let kernel = ResidualAdd::new(&ctx);
    let step = Step::new(&ctx);
    step.write(&ctx, 0, 1);
    for n in [1usize, 255, 257, 4099] {
        let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let y: Vec<f32> = (0..n).map(|i| -2.0 * i as f32 + 0.25).collect();
        // A sentinel past the end must survive: the kernel may not write beyond n.
        let mut x_padded = x.clone();
        x_padded.push(1234.5);
        let xb = storage_f32(&ctx, "x", &x_padded);
        let yb = storage_f32(&ctx, "y", &y);
        let bound = kernel.bind(&ctx, &step, &xb, &yb, n as u32).unwrap();
        submit_pass(&ctx, |pass| bound.encode(pass, 1));
        let got = pollster::block_on(read_f32(&ctx, &xb, n + 1)).unwrap();
        for i in 0..n {
            assert_eq!(got[i], x[i] + y[i], "n={n} i={i}");
        }
        assert_eq!(got[n], 1234.5, "n={n}: wrote past the end");
    }
}

#[test]
fn adapter_summary_reports_limits() {
    let ctx = context();
    assert!(ctx.summary.max_storage_binding >= 128 << 20);
    assert!(ctx.summary.max_workgroup_storage >= 16 << 10);
    assert!(!ctx.summary.name.is_empty());
}

#[test]
fn a_destroyed_device_is_reported_as_lost_in_plain_words() {
    let ctx = std::sync::Arc::new(context());
    assert_eq!(ctx.lost(), None);
    let mut model = mindseye_core::gpu::load_chunks(
        ctx.clone(),
        vec![Ok::<_, mindseye_core::model::LoadError>(mindseye_tests::models::gguf("llama-q8_0"))],
        64,
    )
    .expect("the fixture loads");
    ctx.device.destroy();
    let _ = ctx.device.poll(mindseye_core::gpu::wgpu::PollType::Poll);
    assert_eq!(ctx.lost().as_deref(), Some("the device was destroyed"));
    let error = pollster::block_on(model.forward(&[1, 2], mindseye_core::gpu::Want::Argmax)).unwrap_err();
    assert_eq!(error.to_string(), "the GPU device was lost (the device was destroyed); reload the model to go on");
}

/// NVIDIA's Vulkan driver stops loading after 30 instances in one process; contexts share one.
#[test]
fn forty_contexts_opened_in_turn_all_find_the_adapter() {
    for i in 0..40 {
        let ctx = pollster::block_on(Context::new()).unwrap_or_else(|e| panic!("context {i}: {e}"));
        drop(ctx);
    }
}

/// Test binaries open a context per test on as many threads as there are cores; NVIDIA's driver has
/// raced in concurrent device creation, so contexts open one at a time, and all of them work.
#[test]
fn contexts_opened_on_sixteen_threads_at_once_all_work() {
    let barrier = std::sync::Barrier::new(16);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let ctx = pollster::block_on(Context::new()).unwrap_or_else(|e| panic!("thread {i}: {e}"));
                    let report = pollster::block_on(self_test(&ctx)).unwrap_or_else(|e| panic!("thread {i}: {e}"));
                    assert_eq!(report.max_abs_error, 0.0, "thread {i}");
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("a thread panicked");
        }
    });
}
