// SPDX-License-Identifier: MIT OR Apache-2.0

//! Generates `$OUT_DIR/consts.rs`, the C constants of the crate, from `consts.c`.
//!
//! The kernel's `asm-offsets` way: `consts.c` includes the C library's headers and
//! `include/uapi/linux/carveout.h`, and turns each constant, `sizeof` and `offsetof` into a line
//! `.ascii "->NAME TYPE VALUE EXPRESSION"` of the assembly the C compiler writes with `-S` (the
//! `.ascii` wrapper, as in the kernel's `include/linux/kbuild.h`, keeps Clang's integrated
//! assembler, which checks inline assembly even with `-S`, from rejecting the line). Nothing is
//! assembled, linked or run, so a cross compiler serves as well as a native one, and no crate is
//! needed (the package builds offline).
//!
//! The C compiler is picked as the `cc` crate picks it: `CC_<target>` (also with `_` for `-`),
//! then `TARGET_CC` when cross-compiling (`HOST_CC` otherwise), then `CC`, then `cc`. A value may
//! carry arguments (`CC="clang --target=armv7-linux-gnueabihf"`). `CFLAGS` are not used: a flag
//! such as `-D_TIME_BITS=64` would change `struct rusage` from what the C library's plain
//! `getrusage` symbol, which the crate calls, fills in.
//!
//! The compiler must compile for the Rust target: its architecture (from its predefined macros),
//! pointer size and byte order are compared with the target's, so a host compiler used for a
//! cross build fails here, with a message saying which variable to set, and not later with
//! wrong constants.
//!
//! The target's C library must be glibc: `src/sys.rs` says why, and a build for another stops
//! here.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    match generate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// A C compiler command and the variable it came from.
struct Compiler {
    program: String,
    args: Vec<String>,
    /// The environment variable that named it, or `None` for the default `cc`.
    from: Option<String>,
}

impl Compiler {
    /// The first of the `cc` crate's variables that is set, else `cc`.
    fn pick(target: &str, host: &str) -> Result<Compiler, String> {
        let cross_or_host = if target == host {
            "HOST_CC"
        } else {
            "TARGET_CC"
        };
        let vars = [
            format!("CC_{target}"),
            format!("CC_{}", target.replace('-', "_")),
            cross_or_host.to_string(),
            "CC".to_string(),
        ];
        for var in &vars {
            println!("cargo:rerun-if-env-changed={var}");
        }
        for var in vars {
            let Some(value) = env::var_os(&var) else {
                continue;
            };
            let value = value
                .into_string()
                .map_err(|v| format!("{var}={v:?} is not UTF-8"))?;
            let mut words = value.split_whitespace().map(String::from);
            if let Some(program) = words.next() {
                return Ok(Compiler {
                    program,
                    args: words.collect(),
                    from: Some(var),
                });
            }
        }
        Ok(Compiler {
            program: "cc".into(),
            args: Vec::new(),
            from: None,
        })
    }

    /// How the compiler was chosen, for messages: "`gcc` (from CC)".
    fn describe(&self) -> String {
        let mut command = self.program.clone();
        for arg in &self.args {
            command.push(' ');
            command.push_str(arg);
        }
        match &self.from {
            Some(var) => format!("`{command}` (from {var})"),
            None => format!(
                "`{command}` (the default: CC_<target>, TARGET_CC/HOST_CC and CC are unset)"
            ),
        }
    }
}

/// The constant types `consts.c` may use, and the values each can hold.
fn rust_value(ty: &str, value: i128, pointer_bits: u32) -> Option<String> {
    let fits = match ty {
        "c_int" => i128::from(i32::MIN) <= value && value <= i128::from(i32::MAX),
        // A 32-bit compiler prints an unsigned int above INT_MAX as negative.
        "u32" => i128::from(i32::MIN) <= value && value <= i128::from(u32::MAX),
        "usize" => 0 <= value && value < 1i128 << pointer_bits,
        _ => return None,
    };
    if !fits {
        return None;
    }
    Some(match ty {
        "c_int" => format!("core::ffi::c_int = {value}"),
        // Two's complement: the low 32 bits are the unsigned value. The cast is the point.
        "u32" => format!("u32 = {:#x}", value as u32),
        _ => format!("usize = {value}"),
    })
}

/// One `.ascii "->NAME TYPE VALUE EXPRESSION"` line of the assembly.
struct Constant {
    name: String,
    ty: String,
    /// As the compiler wrote it: an immediate, which GCC and Clang write as `#56` (Arm), `$56`
    /// (x86) or `56`; for type `str`, a word.
    value: String,
    expression: String,
}

impl Constant {
    /// The value as a number.
    fn number(&self) -> Result<i128, String> {
        self.value
            .trim_start_matches(['#', '$'])
            .parse::<i128>()
            .map_err(|e| {
                format!(
                    "constant {}: value `{}` is not a number: {e}",
                    self.name, self.value
                )
            })
    }
}

/// The marked text of an assembly line `.ascii "->TEXT"` (any blanks around `.ascii`), or
/// `None` for any other line. `Err` for a marked line that does not end in a quote.
fn marked(line: &str) -> Result<Option<&str>, String> {
    let Some(quoted) = line.trim_start().strip_prefix(".ascii") else {
        return Ok(None);
    };
    let Some(text) = quoted.trim_start().strip_prefix("\"->") else {
        return Ok(None);
    };
    match text.trim_end().strip_suffix('"') {
        Some(text) => Ok(Some(text)),
        None => Err(format!(
            "malformed constant line `{line}`: no closing quote"
        )),
    }
}

/// Every constant line of `asm`.
fn parse(asm: &str) -> Result<Vec<Constant>, String> {
    let mut constants = Vec::new();
    for line in asm.lines() {
        let Some(rest) = marked(line)? else {
            continue;
        };
        let mut words = rest.splitn(4, char::is_whitespace);
        let (Some(name), Some(ty), Some(value)) = (words.next(), words.next(), words.next()) else {
            return Err(format!("malformed constant line `{line}`"));
        };
        constants.push(Constant {
            name: name.into(),
            ty: ty.into(),
            value: value.into(),
            expression: words.next().unwrap_or(name).trim().into(),
        });
    }
    if constants.is_empty() {
        return Err("no `.ascii \"->...\"` constant lines in the assembly".into());
    }
    Ok(constants)
}

fn generate() -> Result<(), String> {
    let var =
        |name: &str| env::var(name).map_err(|e| format!("{name}: {e} (is cargo running this?)"));
    let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(var("OUT_DIR")?);
    let target = var("TARGET")?;
    let host = var("HOST")?;
    let arch = var("CARGO_CFG_TARGET_ARCH")?;
    let pointer_bits: u32 = var("CARGO_CFG_TARGET_POINTER_WIDTH")?
        .parse()
        .map_err(|e| format!("CARGO_CFG_TARGET_POINTER_WIDTH: {e}"))?;
    let little_endian = var("CARGO_CFG_TARGET_ENDIAN")? == "little";
    let c_library = var("CARGO_CFG_TARGET_ENV")?;
    if c_library != "gnu" {
        return Err(format!(
            "the Rust target {target} has the C library `{c_library}`, and the crate needs \
             glibc: it links against mmap64, pread64, pwrite64 and lseek64 (which musl 1.2.4 \
             and later do not export) and the plain getrusage (whose struct rusage on 32-bit \
             musl is not the one its headers describe); see src/sys.rs"
        ));
    }

    let source = manifest_dir.join("consts.c");
    let uapi = manifest_dir.join("../include/uapi");
    let header = uapi.join("linux/carveout.h");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-changed={}", header.display());
    if !header.is_file() {
        return Err(format!(
            "{} is missing: the crate needs the repository's include/ next to userspace/ \
             (a Buildroot package must copy both: see buildroot/package/carveout-tools)",
            header.display()
        ));
    }

    let cc = Compiler::pick(&target, &host)?;
    let example = match target.as_str() {
        "armv7-unknown-linux-gnueabihf" => " such as arm-linux-gnueabihf-gcc",
        "aarch64-unknown-linux-gnu" => " such as aarch64-linux-gnu-gcc",
        _ => "",
    };
    let hint = format!(
        "set CC_{} (or CC) to a C compiler for {target}{example}",
        target.replace('-', "_")
    );
    let asm_path = out_dir.join("consts.s");
    let output = Command::new(&cc.program)
        .args(&cc.args)
        .arg("-S")
        .arg("-fno-lto")
        .arg("-iquote")
        .arg(&uapi)
        .arg("-o")
        .arg(&asm_path)
        .arg(&source)
        .output()
        .map_err(|e| format!("cannot run the C compiler {}: {e}; {hint}", cc.describe()))?;
    if !output.status.success() {
        return Err(format!(
            "the C compiler {} failed ({}) on {}:\n{}\n{hint}",
            cc.describe(),
            output.status,
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let asm =
        fs::read_to_string(&asm_path).map_err(|e| format!("{}: read: {e}", asm_path.display()))?;
    let constants = parse(&asm)?;

    let find = |name: &str| {
        constants.iter().find(|c| c.name == name).ok_or_else(|| {
            format!(
                "{}: no constant {name} in {}",
                source.display(),
                asm_path.display()
            )
        })
    };
    let c_arch = &find("C_TARGET_ARCH")?.value;
    if c_arch == "unknown" {
        return Err(format!(
            "the C compiler {} compiles for an architecture that C_TARGET_ARCH in {} does not \
             recognise (the Rust target {target} is {arch}): if the compiler is one for {arch}, \
             add {arch} there; if not, {hint}",
            cc.describe(),
            source.display()
        ));
    }
    if *c_arch != arch {
        return Err(format!(
            "the C compiler {} compiles for {c_arch}, but the Rust target {target} is {arch}: \
             it is not a compiler for {target} (a host compiler in a cross build?); {hint}",
            cc.describe()
        ));
    }
    let c_pointer_bits = find("C_POINTER_BYTES")?.number()? * 8;
    let c_little_endian = find("C_LITTLE_ENDIAN")?.number()? != 0;
    if c_pointer_bits != i128::from(pointer_bits) || c_little_endian != little_endian {
        let order = |little: bool| {
            if little {
                "little-endian"
            } else {
                "big-endian"
            }
        };
        return Err(format!(
            "the C compiler {} compiles for {c_pointer_bits}-bit pointers, {}, but the Rust \
             target {target} has {pointer_bits}-bit pointers, {}: it is not a compiler for \
             {target} (a host compiler in a cross build?); {hint}",
            cc.describe(),
            order(c_little_endian),
            order(little_endian),
        ));
    }

    let mut rust = format!(
        "// Generated by build.rs from consts.c, compiled for {target} by {}. Do not edit.\n",
        cc.describe()
    );
    for c in &constants {
        if c.name.starts_with("C_") {
            continue;
        }
        let value = c.number()?;
        let typed = rust_value(&c.ty, value, pointer_bits).ok_or_else(|| {
            format!(
                "constant {} of consts.c: {value} does not fit type `{}` (c_int, u32 or usize)",
                c.name, c.ty
            )
        })?;
        // Infallible: writing to a String.
        let _ = writeln!(
            rust,
            "\n/// `{}` of the C headers.\npub(crate) const {}: {typed};",
            c.expression, c.name
        );
    }
    write_if_changed(&out_dir.join("consts.rs"), &rust)
}

/// Writes `text` to `path` unless it holds that already (keeps its modification time).
fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(path, text).map_err(|e| format!("{}: write: {e}", path.display()))
}
