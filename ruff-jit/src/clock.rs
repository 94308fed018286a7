//! Compile time as the statistics report it: each function's own compile,
//! without the compiles of callees started for it (their statistics hold
//! those), and with a failed attempt at pure code counted in the framed compile
//! that follows it.

use std::time::Instant;

/// The compile time of callees finished inside the compile in progress.
#[derive(Default)]
pub(crate) struct Clock {
    inner_ns: u64,
}

/// A compile in progress: its start, and the tally of the compile around it.
pub(crate) struct Started {
    pub t0: Instant,
    outer_ns: u64,
}

impl Clock {
    /// Starts a compile (nested in the one in progress, if any).
    pub fn start(&mut self) -> Started {
        Started { t0: Instant::now(), outer_ns: std::mem::take(&mut self.inner_ns) }
    }

    /// The time of the compile started at `t0` so far, less its callees'.
    pub fn own_ns(&self, t0: Instant) -> u64 {
        elapsed_ns(t0).saturating_sub(self.inner_ns)
    }

    /// Ends a compile. A successful one is left out of the time of the compile
    /// around it; a failed one (whose time no statistics hold) stays in it.
    pub fn finish(&mut self, s: Started, ok: bool) {
        self.inner_ns = s.outer_ns + if ok { elapsed_ns(s.t0) } else { self.inner_ns };
    }
}

fn elapsed_ns(t0: Instant) -> u64 {
    t0.elapsed().as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin(ns: u64) {
        let t = Instant::now();
        while elapsed_ns(t) < ns {}
    }

    #[test]
    fn a_callee_compiled_inside_is_left_out_unless_it_failed() {
        let mut c = Clock::default();
        let outer = c.start();
        let ok = c.start();
        spin(3_000_000);
        c.finish(ok, true);
        let failed = c.start();
        spin(3_000_000);
        c.finish(failed, false);
        let own = c.own_ns(outer.t0);
        let total = elapsed_ns(outer.t0);
        // The failed callee's 3 ms stay in; the successful one's 3 ms are out.
        assert!(own >= 3_000_000, "own {own}");
        assert!(total - own >= 3_000_000, "own {own} of {total}");
        c.finish(outer, true);
    }
}
