//! Opening a GGUF model on disk: the header streamed from the start, tensors read where they lie, so a
//! multi-GB file is never read whole into memory twice.

use mindseye_core::gguf::{File, StreamReader, TensorInfo};
use mindseye_core::model::{CpuModel, LoadError};
use mindseye_core::tokenizer::Tokenizer;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const CHUNK: usize = 1 << 20;

/// Streams the file until the header parses; also returns the file's length, which the caller checks
/// the tensors against.
pub fn read_header(path: &Path) -> Result<(File, u64), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut input = std::fs::File::open(path).map_err(|e| fail(&e))?;
    let len = input.metadata().map_err(|e| fail(&e))?.len();
    let mut reader = StreamReader::new();
    let mut chunk = vec![0; CHUNK];
    loop {
        let n = input.read(&mut chunk).map_err(|e| fail(&e))?;
        if n == 0 {
            reader.finish().map_err(|e| fail(&e))?;
            break;
        }
        if reader.push(&chunk[..n]).map_err(|e| fail(&e))?.header.is_some() {
            break;
        }
    }
    let file = reader.into_header().ok_or_else(|| fail(&"no header"))?;
    Ok((file, len))
}

/// The header, the tokenizer and the model for the CPU reference.
pub fn open_cpu(path: &Path) -> Result<(File, Tokenizer, CpuModel), String> {
    let (file, len) = read_header(path)?;
    file.check_len(len).map_err(|e| format!("{}: {e}", path.display()))?;
    let tokenizer = Tokenizer::from_gguf(&file).map_err(|e| format!("{}: tokenizer: {e}", path.display()))?;
    let mut input = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let model = CpuModel::load(&file, |info| read_tensor(&mut input, &file, info))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((file, tokenizer, model))
}

pub fn read_tensor(input: &mut std::fs::File, file: &File, info: &TensorInfo) -> Result<Vec<u8>, LoadError> {
    let io = |e: std::io::Error| LoadError::Io(format!("tensor {}: {e}", info.name()));
    input.seek(SeekFrom::Start(file.data_offset() + info.offset())).map_err(io)?;
    let mut bytes = vec![0; info.n_bytes() as usize];
    input.read_exact(&mut bytes).map_err(io)?;
    Ok(bytes)
}
