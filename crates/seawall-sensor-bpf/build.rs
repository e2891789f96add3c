//! Compiles `src/bpf/sensor.bpf.c` with clang and generates the libbpf-rs
//! skeleton into `OUT_DIR`.
//!
//! `vmlinux.h` is generated from the running kernel's BTF with bpftool
//! (`$SEAWALL_VMLINUX_H` may point at a pre-generated header instead). When
//! clang, bpftool or BTF is missing the crate still compiles, without the BPF
//! object: the build prints a warning naming what is missing and
//! `Sensor::start` returns an error saying the same, so the rest of the
//! workspace keeps building on machines that cannot run the sensor.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SRC: &str = "src/bpf/sensor.bpf.c";
const HDR: &str = "src/bpf/sensor.h";

fn main() {
    println!("cargo:rerun-if-changed={SRC}");
    println!("cargo:rerun-if-changed={HDR}");
    println!("cargo:rerun-if-env-changed=SEAWALL_VMLINUX_H");
    println!("cargo:rerun-if-env-changed=SEAWALL_SENSOR_NO_BPF");
    println!("cargo:rustc-check-cfg=cfg(seawall_bpf)");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    match build(&out) {
        Ok(()) => println!("cargo:rustc-cfg=seawall_bpf"),
        Err(why) => {
            println!("cargo:warning=seawall-sensor-bpf: building without the eBPF program: {why}");
            let _ = std::fs::write(out.join("bpf_unavailable.txt"), why);
        }
    }
    // Always present so lib.rs can include it.
    if !out.join("bpf_unavailable.txt").exists() {
        let _ = std::fs::write(out.join("bpf_unavailable.txt"), "");
    }
}

fn build(out: &Path) -> Result<(), String> {
    if env::var_os("SEAWALL_SENSOR_NO_BPF").is_some() {
        return Err("SEAWALL_SENSOR_NO_BPF is set".into());
    }
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return Err("the eBPF sensor needs Linux".into());
    }
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("x86_64") {
        return Err("the eBPF sensor reads x86_64 syscall registers; other architectures are not supported yet".into());
    }
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let ok = Command::new(&clang)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        return Err(format!(
            "`{clang}` not found (install clang, e.g. `apt-get install clang llvm libbpf-dev`)"
        ));
    }
    let inc = out.join("include");
    std::fs::create_dir_all(&inc).map_err(|e| format!("cannot create {}: {e}", inc.display()))?;
    vmlinux_h(&inc.join("vmlinux.h"))?;

    let skel = out.join("sensor.skel.rs");
    libbpf_cargo::SkeletonBuilder::new()
        .source(SRC)
        .clang(&clang)
        .clang_args([
            "-I".to_string(),
            inc.display().to_string(),
            "-O2".to_string(),
            "-g".to_string(),
            "-D__TARGET_ARCH_x86".to_string(),
        ])
        .build_and_generate(&skel)
        .map_err(|e| format!("compiling {SRC} failed: {e:#}"))?;
    Ok(())
}

fn vmlinux_h(dst: &Path) -> Result<(), String> {
    if let Some(given) = env::var_os("SEAWALL_VMLINUX_H") {
        std::fs::copy(&given, dst)
            .map_err(|e| format!("SEAWALL_VMLINUX_H={}: {e}", PathBuf::from(&given).display()))?;
        return Ok(());
    }
    let btf = Path::new("/sys/kernel/btf/vmlinux");
    if !btf.exists() {
        return Err(
            "kernel BTF /sys/kernel/btf/vmlinux not found (needs CONFIG_DEBUG_INFO_BTF, or set SEAWALL_VMLINUX_H)"
                .into(),
        );
    }
    let o = Command::new("bpftool")
        .args(["btf", "dump", "file"])
        .arg(btf)
        .args(["format", "c"])
        .output()
        .map_err(|e| {
            format!("`bpftool` not runnable ({e}); install bpftool or set SEAWALL_VMLINUX_H")
        })?;
    if !o.status.success() {
        return Err(format!(
            "`bpftool btf dump file {}` failed: {}",
            btf.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    std::fs::write(dst, &o.stdout).map_err(|e| format!("cannot write {}: {e}", dst.display()))
}
