//! The one integration test binary (2 cores link it once). Every test runs the real server on
//! an ephemeral port over a real database; CLI tests run the real binary against it.

mod harness;

mod api_smoke;
