//! Byte searches eight bytes at a time in a `u64` ("SIMD within a register"): for the short
//! strings a warm run checks by the thousand (names in a listing, JSON strings, hashes), where
//! a vectorised search would first ask the processor for its features (`cpuid`, which leaves a
//! virtual machine) and cost more than it saves.

/// `0x01` in every byte.
pub const ONES: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte.
pub const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The zero bytes of `x`, each marked by its high bit. Exact for the lowest one (a borrow can
/// only mark bytes above a true zero), so the first zero byte is `trailing_zeros / 8`.
#[inline(always)]
pub fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The bytes of `x` equal to `byte`, marked as [`zero_bytes`] marks them.
#[inline(always)]
pub fn bytes_equal(x: u64, byte: u8) -> u64 {
    zero_bytes(x ^ (ONES * u64::from(byte)))
}

/// Where the first byte that `marks` marks is in `bytes[from..]`, eight bytes at a time; the
/// last few are padded with `pad`, which `marks` must not mark. `marks` must be exact for the
/// lowest byte it marks (as [`zero_bytes`] is).
#[inline(always)]
pub fn find(bytes: &[u8], from: usize, pad: u8, marks: impl Fn(u64) -> u64) -> Option<usize> {
    let first = |base: usize, mask: u64| base + (mask.trailing_zeros() / 8) as usize;
    let mut words = bytes.get(from..).unwrap_or_default().chunks_exact(8);
    let mut base = from;
    for word in &mut words {
        let mask = marks(u64::from_le_bytes(word.try_into().expect("eight bytes")));
        if mask != 0 {
            return Some(first(base, mask));
        }
        base += 8;
    }
    let rest = words.remainder();
    if rest.is_empty() {
        return None;
    }
    let mut word = [pad; 8];
    word[..rest.len()].copy_from_slice(rest);
    let mask = marks(u64::from_le_bytes(word));
    (mask != 0).then(|| first(base, mask))
}
