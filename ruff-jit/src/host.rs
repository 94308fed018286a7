//! The host machine as Cranelift sees it: an ISA builder with the CPU features
//! that code may use.
//!
//! `cranelift_native::builder()` finds the features with the `cpuid`
//! instruction (through `std::is_x86_feature_detected!`), about eight times.
//! Inside a virtual machine `cpuid` traps to the hypervisor: on the machine the
//! lab runs on each one took 12–13 µs, and the detection was 100–180 µs of the
//! first compile of every run (timed inside `ruff`; `perf record -e cpu-clock`
//! put the samples on the instructions after the `cpuid`s). glibc has already
//! run `cpuid` at start-up, for its own choice of `memcpy` and the like, and it
//! keeps the results together with whether the OS lets each feature be used
//! (AVX and AVX-512 registers saved by the kernel): `__x86_get_cpuid_feature_leaf`
//! (glibc 2.33 and later, found with `dlsym` so that an older libc still
//! links). Where it is there, the features come from it; elsewhere, and when it
//! does not even report SSE2, from `cranelift_native`. The test below checks
//! that both give the same flags.

use cranelift_codegen::isa;

/// The ISA builder for this machine, with the features the CPU has and the OS
/// allows.
pub(crate) fn host() -> Result<isa::Builder, String> {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    if let Some(flags) = glibc::features() {
        use cranelift_codegen::settings::Configurable;
        let mut builder = cranelift_native::builder_with_options(false).map_err(unsupported)?;
        for flag in flags {
            builder.enable(flag).map_err(|e| format!("cannot configure Cranelift: {flag}: {e}"))?;
        }
        return Ok(builder);
    }
    cranelift_native::builder().map_err(unsupported)
}

fn unsupported(e: &str) -> String {
    format!("this machine is not supported by Cranelift: {e}")
}

#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
mod glibc {
    /// `struct cpuid_feature` of `<sys/platform/x86.h>`: one `cpuid` leaf's
    /// registers (eax, ebx, ecx, edx), as read and as usable.
    #[repr(C)]
    struct CpuidFeature {
        cpuid: [u32; 4],
        active: [u32; 4],
    }

    type LeafFn = unsafe extern "C" fn(u32) -> *const CpuidFeature;

    /// glibc's leaf indices (`CPUID_INDEX_*`).
    const LEAF_1: u32 = 0;
    const LEAF_7: u32 = 1;
    const LEAF_80000001: u32 = 2;
    const LEAF_7_ECX_1: u32 = 6;
    const EAX: usize = 0;
    const EBX: usize = 1;
    const ECX: usize = 2;
    const EDX: usize = 3;

    /// Cranelift's x86-64 flags, where `cranelift_native` finds each one
    /// (`cpuid` leaf, register, bit; the bits as in Intel's manual and glibc's
    /// `x86_cpu_*` constants).
    const FLAGS: [(&str, u32, usize, u32); 19] = [
        ("has_sse3", LEAF_1, ECX, 0),
        ("has_ssse3", LEAF_1, ECX, 9),
        ("has_fma", LEAF_1, ECX, 12),
        ("has_cmpxchg16b", LEAF_1, ECX, 13),
        ("has_sse41", LEAF_1, ECX, 19),
        ("has_sse42", LEAF_1, ECX, 20),
        ("has_popcnt", LEAF_1, ECX, 23),
        ("has_avx", LEAF_1, ECX, 28),
        ("has_bmi1", LEAF_7, EBX, 3),
        ("has_avx2", LEAF_7, EBX, 5),
        ("has_bmi2", LEAF_7, EBX, 8),
        ("has_avx512f", LEAF_7, EBX, 16),
        ("has_avx512dq", LEAF_7, EBX, 17),
        ("has_avx512vl", LEAF_7, EBX, 31),
        ("has_avx512vbmi", LEAF_7, ECX, 1),
        ("has_avx512vnni", LEAF_7, ECX, 11),
        ("has_avx512bitalg", LEAF_7, ECX, 12),
        ("has_avx_vnni", LEAF_7_ECX_1, EAX, 4),
        ("has_lzcnt", LEAF_80000001, ECX, 5),
    ];

    /// The flags to enable, from glibc's record of `cpuid`; `None` when this
    /// glibc keeps none or does not report SSE2 (which every x86-64 CPU has).
    pub(super) fn features() -> Option<Vec<&'static str>> {
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks
        // the symbol up.
        let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__x86_get_cpuid_feature_leaf".as_ptr()) };
        if f.is_null() {
            return None;
        }
        // SAFETY: the symbol is glibc's function of that name, whose type is
        // `const struct cpuid_feature *(unsigned int)`.
        let leaf_of: LeafFn = unsafe { std::mem::transmute::<*mut libc::c_void, LeafFn>(f) };
        let active = |leaf: u32, reg: usize, bit: u32| {
            // SAFETY: glibc returns a pointer to its static record for every
            // index (a zeroed one for the indices it does not know).
            let p = unsafe { leaf_of(leaf) };
            // SAFETY: non-null pointers from glibc point to a live `cpuid_feature`.
            !p.is_null() && unsafe { (*p).active[reg] } & (1 << bit) != 0
        };
        if !active(LEAF_1, EDX, 26) {
            return None;
        }
        Some(FLAGS.iter().filter(|&&(_, leaf, reg, bit)| active(leaf, reg, bit)).map(|f| f.0).collect())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_table_names_every_flag_once() {
            let mut names: Vec<&str> = FLAGS.iter().map(|f| f.0).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), FLAGS.len());
        }

        #[test]
        fn glibc_reports_what_this_cpu_has() {
            // glibc 2.33 or later on the machines this is built on.
            let flags = features().expect("glibc keeps its cpuid record");
            assert!(flags.contains(&"has_sse3"), "{flags:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use cranelift_codegen::settings;

    fn isa_flags(builder: cranelift_codegen::isa::Builder) -> Vec<String> {
        let isa = builder.finish(settings::Flags::new(settings::builder())).expect("an ISA");
        isa.isa_flags().iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn the_host_has_the_features_cranelift_native_detects() {
        let ours = isa_flags(super::host().expect("a supported host"));
        let native = isa_flags(cranelift_native::builder().expect("a supported host"));
        assert_eq!(ours, native);
    }
}
