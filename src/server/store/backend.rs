//! What differs between the SQL databases the store runs on.

/// What differs between the databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// `count` bind parameters numbered from `first`, comma-separated, for statements built
    /// at run time. SQLite gets anonymous `?`: sqlx looks up every numbered parameter by name,
    /// which SQLite answers by walking a list, so thousands of `$n` cost quadratic time. A
    /// statement using these must use them for all its parameters, in order.
    pub fn params(self, first: usize, count: usize) -> String {
        match self {
            Backend::Sqlite => vec!["?"; count].join(", "),
            Backend::Postgres => (first..first + count)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}
