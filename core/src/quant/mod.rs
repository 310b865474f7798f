//! ggml tensor types and their conversion to and from f32, bit-exact with ggml's reference C code.
//!
//! Block layouts follow ggml (`ggml-common.h`); all multi-byte fields are little-endian and blocks are
//! packed without padding, so a block may start at any byte.

mod dequantize;
mod grid;
mod quantize;
mod random;

pub use dequantize::dequantize;
pub(crate) use grid::{IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID};
pub use quantize::quantize;
pub use random::random_weights;

use std::fmt;

/// Why a conversion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0} conversion is not implemented")]
    Unsupported(Type),
    #[error("{ty}: {elements} elements are not a whole number of {block_size}-element blocks", block_size = ty.block_size())]
    NotWholeBlocks { ty: Type, elements: usize },
    #[error("{ty}: {elements} elements take {expected} bytes, but {found} bytes were given")]
    WrongLength { ty: Type, elements: usize, expected: u64, found: usize },
}

macro_rules! types {
    ($($variant:ident = $id:literal, $name:literal, $block_size:literal, $block_bytes:literal;)*) => {
        /// A ggml tensor type, identified in GGUF files by its numeric id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(non_camel_case_types)] // ggml's own names, as every GGUF tool prints them
        pub enum Type {
            $($variant,)*
        }

        impl Type {
            /// Every type ggml currently defines (ids 4, 5 and 31-33, 36-38 were retired).
            pub const ALL: &[Type] = &[$(Type::$variant,)*];

            /// The type with this ggml id, if ggml defines one.
            pub fn from_id(id: u32) -> Option<Type> {
                match id {
                    $($id => Some(Type::$variant),)*
                    _ => None,
                }
            }

            pub fn id(self) -> u32 {
                match self {
                    $(Type::$variant => $id,)*
                }
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(Type::$variant => $name,)*
                }
            }

            /// Elements per block.
            pub fn block_size(self) -> usize {
                match self {
                    $(Type::$variant => $block_size,)*
                }
            }

            /// Bytes per block.
            pub fn block_bytes(self) -> usize {
                match self {
                    $(Type::$variant => $block_bytes,)*
                }
            }
        }
    };
}

types! {
    F32 = 0, "F32", 1, 4;
    F16 = 1, "F16", 1, 2;
    Q4_0 = 2, "Q4_0", 32, 18;
    Q4_1 = 3, "Q4_1", 32, 20;
    Q5_0 = 6, "Q5_0", 32, 22;
    Q5_1 = 7, "Q5_1", 32, 24;
    Q8_0 = 8, "Q8_0", 32, 34;
    Q8_1 = 9, "Q8_1", 32, 40;
    Q2_K = 10, "Q2_K", 256, 84;
    Q3_K = 11, "Q3_K", 256, 110;
    Q4_K = 12, "Q4_K", 256, 144;
    Q5_K = 13, "Q5_K", 256, 176;
    Q6_K = 14, "Q6_K", 256, 210;
    Q8_K = 15, "Q8_K", 256, 292;
    IQ2_XXS = 16, "IQ2_XXS", 256, 66;
    IQ2_XS = 17, "IQ2_XS", 256, 74;
    IQ3_XXS = 18, "IQ3_XXS", 256, 98;
    IQ1_S = 19, "IQ1_S", 256, 50;
    IQ4_NL = 20, "IQ4_NL", 32, 18;
    IQ3_S = 21, "IQ3_S", 256, 110;
    IQ2_S = 22, "IQ2_S", 256, 82;
    IQ4_XS = 23, "IQ4_XS", 256, 136;
    I8 = 24, "I8", 1, 1;
    I16 = 25, "I16", 1, 2;
    I32 = 26, "I32", 1, 4;
    I64 = 27, "I64", 1, 8;
    F64 = 28, "F64", 1, 8;
    IQ1_M = 29, "IQ1_M", 256, 56;
    BF16 = 30, "BF16", 1, 2;
    TQ1_0 = 34, "TQ1_0", 256, 54;
    TQ2_0 = 35, "TQ2_0", 256, 66;
    MXFP4 = 39, "MXFP4", 32, 17;
    NVFP4 = 40, "NVFP4", 64, 36;
    Q1_0 = 41, "Q1_0", 128, 18;
}

impl Type {
    /// Bytes taken by `elements` elements; `None` when they are not whole blocks or the size overflows.
    pub fn n_bytes(self, elements: u64) -> Option<u64> {
        let block_size = self.block_size() as u64;
        if !elements.is_multiple_of(block_size) {
            return None;
        }
        (elements / block_size).checked_mul(self.block_bytes() as u64)
    }

    /// Checks that `bytes` holds exactly `elements` elements of this type, returning the block count.
    fn blocks(self, elements: usize, bytes: usize) -> Result<usize, Error> {
        let expected = self.n_bytes(elements as u64).ok_or(Error::NotWholeBlocks { ty: self, elements })?;
        if expected != bytes as u64 {
            return Err(Error::WrongLength { ty: self, elements, expected, found: bytes });
        }
        Ok(elements / self.block_size())
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
