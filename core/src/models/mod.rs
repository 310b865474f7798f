//! Model management without the browser: the catalog, download planning (parts, resume, server
//! responses, quota, progress), verification, the fit check against a GPU, and what a GGUF header
//! says about its model. The app wires these to OPFS, `fetch` and the page; everything here is
//! plain data and unit-tested natively.

pub mod catalog;
pub mod download;
pub mod fit;
pub mod format;
pub mod store;
pub mod summary;
pub mod verify;
