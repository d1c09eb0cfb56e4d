//! The pilot (scripts/pilot.sh): written by the pilot work.
