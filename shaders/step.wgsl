// The per-call values of core::gpu::Step (StepValues there): the first position of the tokens the
// next commands process and their count (1 when decoding). Put ahead of every kernel that binds
// the step buffer; no bindings of its own, no entry point.

struct Step {
    pos0: u32,
    n_tokens: u32,
    _pad0: u32,
    _pad1: u32,
}
