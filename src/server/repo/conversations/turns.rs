//! Fair turns between workspaces. Workers take ready jobs in the order of their turn (`fair_key`,
//! microseconds), not of their arrival: a workspace's jobs get turns at least [`SPACING`] apart, so
//! a workspace that queues ten thousand texts at once has its turns spread over the next 100
//! seconds, and a text another workspace queues meanwhile gets a turn near "now" — it is taken ahead
//! of most of the flood instead of after all of it. With nothing else waiting, the flood runs as
//! fast as the workers go: turns order jobs, they never delay them (`run_at` does that).
//!
//! The last turn per workspace is kept in memory, per process. With several instances, each spaces
//! the texts it receives, so a flood spread over them is still spread out; after a restart the
//! spacing starts again from now. Order within a conversation does not depend on turns at all.
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use uuid::Uuid;

/// The least distance between two turns of one workspace, in microseconds (10 ms).
pub const SPACING: i64 = 10_000;

/// A job's place in the workers' order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Turn(i64);

impl Turn {
    /// The turn of work that should not wait behind anyone's flood (a person's own text).
    pub fn now(at: DateTime<Utc>) -> Self {
        Self(at.timestamp_micros())
    }

    pub fn key(self) -> i64 {
        self.0
    }
}

/// Hands out turns: each workspace's next is `SPACING` after its last, and never before now.
#[derive(Default)]
pub struct Turns {
    last: Mutex<HashMap<Uuid, i64>>,
}

impl Turns {
    pub fn next(&self, workspace: Uuid, at: DateTime<Utc>) -> Turn {
        let now = at.timestamp_micros();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.len() > 10_000 {
            // Workspaces whose spacing has run out would start from now anyway.
            last.retain(|_, turn| *turn > now);
        }
        let turn = last
            .get(&workspace)
            .map_or(now, |previous| (previous + SPACING).max(now));
        last.insert(workspace, turn);
        Turn(turn)
    }
}

/// This process's turns.
pub fn next(workspace: Uuid, at: DateTime<Utc>) -> Turn {
    static TURNS: LazyLock<Turns> = LazyLock::new(Turns::default);
    TURNS.next(workspace, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flooding_workspace_is_spread_out_and_another_goes_first() {
        let turns = Turns::default();
        let start = Utc::now();
        let (flood, other) = (Uuid::new_v4(), Uuid::new_v4());
        let flooded: Vec<Turn> = (0..1000).map(|_| turns.next(flood, start)).collect();
        assert!(
            flooded
                .windows(2)
                .all(|w| w[1].key() - w[0].key() == SPACING)
        );
        // 50 ms later, another workspace's text is ahead of all but the flood's first five.
        let later = start + chrono::Duration::milliseconds(50);
        let theirs = turns.next(other, later);
        assert_eq!(theirs, Turn::now(later));
        assert_eq!(flooded.iter().filter(|t| **t <= theirs).count(), 6);
    }

    #[test]
    fn a_quiet_workspace_starts_from_now_again() {
        let turns = Turns::default();
        let start = Utc::now();
        let workspace = Uuid::new_v4();
        turns.next(workspace, start);
        let much_later = start + chrono::Duration::seconds(5);
        assert_eq!(turns.next(workspace, much_later), Turn::now(much_later));
    }
}
