//! One API conformance suite, two databases. Each API test is a plain `fn(Backend)`; the
//! `conformance!` macro turns a list of them into `#[test]`s in `mod sqlite` and `mod postgres`,
//! so that both backends run exactly the same assertions:
//!
//! ```ignore
//! crate::common::conformance::conformance! { healthz_answers, grants_can_be_listed }
//! ```
//!
//! gives `<module>::sqlite::healthz_answers`, `<module>::postgres::healthz_answers`, and so on.
//! The PostgreSQL tests need `SUPPORTCTL_TEST_POSTGRES_URL`; without it they say so on stderr
//! and pass without running (`cargo test sqlite` / `cargo test postgres` pick one backend).

macro_rules! conformance {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::common::harness::Backend::Sqlite);
                }
            )+
        }

        mod postgres {
            $(
                #[test]
                fn $test() {
                    if $crate::common::harness::skip_postgres(concat!(
                        module_path!(),
                        "::",
                        stringify!($test)
                    )) {
                        return;
                    }
                    super::$test($crate::common::harness::Backend::Postgres);
                }
            )+
        }
    };
}

pub(crate) use conformance;
