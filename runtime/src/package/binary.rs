//! The runtime binary: read it and make sure it can run from an otherwise empty root filesystem.
//!
//! The image has no `/lib`, so the binary must be an x86-64 Linux ELF without a program
//! interpreter (no `PT_INTERP`): a static (or static-pie) build such as
//! `--target x86_64-unknown-linux-musl` gives.

use std::path::Path;

use super::error::{Error, Result};
use crate::FileError;

/// `e_machine` of x86-64.
const EM_X86_64: u16 = 62;
/// The program header type that names the dynamic loader.
const PT_INTERP: u32 = 3;

/// Reads the binary at `path` and checks that it is a statically linked x86-64 Linux executable.
///
/// # Errors
/// [`Error::BinaryMissing`] when there is no file, [`Error::File`], [`Error::NotLinuxExecutable`],
/// or [`Error::DynamicallyLinked`] naming the loader it wants.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::BinaryMissing {
            path: path.to_owned(),
        },
        _ => FileError::Read {
            path: path.to_owned(),
            source,
        }
        .into(),
    })?;
    check_static(path, &bytes)?;
    Ok(bytes)
}

fn check_static(path: &Path, elf: &[u8]) -> Result<()> {
    let not_executable = || Error::NotLinuxExecutable {
        path: path.to_owned(),
    };
    // ELF magic, 64-bit class, little endian, x86-64.
    let is_x86_64 = elf.starts_with(b"\x7fELF\x02\x01") && read_u16(elf, 0x12) == Some(EM_X86_64);
    if !is_x86_64 {
        return Err(not_executable());
    }
    let phoff = read_u64(elf, 0x20).ok_or_else(not_executable)?;
    let phentsize = read_u16(elf, 0x36).ok_or_else(not_executable)?;
    let phnum = read_u16(elf, 0x38).ok_or_else(not_executable)?;
    for index in 0..u64::from(phnum) {
        let header = index
            .checked_mul(u64::from(phentsize))
            .and_then(|offset| offset.checked_add(phoff))
            .ok_or_else(not_executable)?;
        if read_u32(elf, header).ok_or_else(not_executable)? != PT_INTERP {
            continue;
        }
        let offset = read_u64(elf, header.saturating_add(8)).ok_or_else(not_executable)?;
        let size = read_u64(elf, header.saturating_add(32)).ok_or_else(not_executable)?;
        let name = slice(elf, offset, size).ok_or_else(not_executable)?;
        return Err(Error::DynamicallyLinked {
            path: path.to_owned(),
            interpreter: String::from_utf8_lossy(name)
                .trim_end_matches('\0')
                .to_owned(),
        });
    }
    Ok(())
}

fn slice(bytes: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

fn read_u16(bytes: &[u8], offset: u64) -> Option<u16> {
    Some(u16::from_le_bytes(
        slice(bytes, offset, 2)?.try_into().ok()?,
    ))
}

fn read_u32(bytes: &[u8], offset: u64) -> Option<u32> {
    Some(u32::from_le_bytes(
        slice(bytes, offset, 4)?.try_into().ok()?,
    ))
}

fn read_u64(bytes: &[u8], offset: u64) -> Option<u64> {
    Some(u64::from_le_bytes(
        slice(bytes, offset, 8)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn a_missing_binary_says_how_to_build_it() {
        let error = read(Path::new("target/nowhere/function-wasmtime")).expect_err("missing");
        assert_eq!(
            error.to_string(),
            "runtime binary target/nowhere/function-wasmtime not found; build it with `rustup target add x86_64-unknown-linux-musl && cargo build --release --target x86_64-unknown-linux-musl -p function-wasmtime` (Debian also needs `apt-get install musl-tools`), or pass --binary"
        );
    }

    #[test]
    fn a_glibc_binary_is_refused_naming_its_loader() {
        // The test binary itself is built for the host's glibc target.
        let path = std::env::current_exe().expect("the test binary");
        let error = read(&path).expect_err("dynamic");
        assert_eq!(
            error.to_string(),
            format!(
                "{} is dynamically linked (it asks for /lib64/ld-linux-x86-64.so.2), so it cannot run from the package's empty root filesystem; build it with --target x86_64-unknown-linux-musl",
                path.display()
            )
        );
    }

    #[test]
    fn a_file_that_is_not_an_executable_is_refused() {
        let path = PathBuf::from("crossplane.yaml");
        for bytes in [
            &b"apiVersion: v1"[..],
            b"\x7fELF\x02\x01",
            b"\x7fELF\x01\x01\0\0",
        ] {
            let error = check_static(&path, bytes).expect_err("not an executable");
            assert_eq!(
                error.to_string(),
                "crossplane.yaml is not an x86-64 Linux executable (ELF); pass the x86_64-unknown-linux-musl build of function-wasmtime with --binary"
            );
        }
    }

    #[test]
    fn program_headers_past_the_end_are_refused_without_a_panic() {
        let mut elf = b"\x7fELF\x02\x01".to_vec();
        elf.resize(0x40, 0);
        elf[0x12] = 62;
        elf[0x20..0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        elf[0x36] = 56;
        elf[0x38] = 1;
        assert!(matches!(
            check_static(Path::new("x"), &elf),
            Err(Error::NotLinuxExecutable { .. })
        ));
    }
}
