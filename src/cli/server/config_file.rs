//! `supportctl server --config FILE`: the server's settings from a TOML file, under the command
//! line and the environment.
//!
//! clap stays the one parser of every value. A first, forgiving parse of the command line finds
//! the file (`--config` or `SUPPORTCTL_CONFIG`). Each key of the file must be a long option of
//! `supportctl server`; its value goes through that option's own value parser, so it gets the
//! check the flag gets, with an error that names the file and line; then it becomes that
//! option's default, and the command line is parsed for real. clap's own order (command line,
//! then the option's `env =` variable, then its default) is the precedence, and
//! `ArgMatches::value_source` tells where each value came from. A layered-config crate would
//! merge maps of its own beside clap and check values a second way.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde::Serialize;
use serde_json::Value as Json;
use toml::Spanned;

use crate::cli::error::{CommandError, CommandResult};

/// Options a config file may not set: they make sense only where someone types them.
const COMMAND_LINE_ONLY: [&str; 3] = ["config", "dev", "insecure-storage"];

/// A config file whose values are all known options with values they take.
#[derive(Debug)]
pub struct ConfigFile {
    path: PathBuf,
    values: Vec<FileValue>,
}

#[derive(Debug)]
struct FileValue {
    /// The option's id (its field in `ServerArgs`).
    id: String,
    /// The value as the option would be given it on the command line.
    value: String,
    line: usize,
}

/// One setting as `server config` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Setting {
    /// The option's long name, which is also its key in a config file.
    pub key: String,
    /// A number, true or false, or text, as the option takes it; null when not set.
    pub value: Json,
    /// `flag`, `env SUPPORTCTL_…`, `FILE:LINE` or `default`.
    pub source: String,
}

/// What a value must be in TOML, from the type the option parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Boolean,
    Integer,
    Text,
}

pub(super) fn kind(arg: &Arg) -> Kind {
    if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
        return Kind::Boolean;
    }
    let parsed = arg.get_value_parser().type_id();
    let integers = [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
        TypeId::of::<i64>(),
    ];
    if integers.iter().any(|integer| parsed == *integer) {
        Kind::Integer
    } else {
        Kind::Text
    }
}

/// The options of `server` (`supportctl server`'s command) a config file may set; each one's
/// key is its long name.
pub(super) fn file_options(server: &Command) -> Vec<Arg> {
    server
        .get_arguments()
        .filter(|arg| {
            arg.get_long()
                .is_some_and(|long| !COMMAND_LINE_ONLY.contains(&long))
        })
        .cloned()
        .collect()
}

/// `root` with the values of the config file `supportctl server` is given (if any) as the
/// defaults of their options, and that file. A file that cannot be read, or holds anything
/// but known options with values they take, is a usage error naming the file and line.
pub fn with_config_file(root: Command) -> CommandResult<(Command, Option<ConfigFile>)> {
    // Help, version and a broken command line are the real parse's to report.
    let Ok(partial) = root.clone().ignore_errors(true).try_get_matches() else {
        return Ok((root, None));
    };
    let Some(path) = partial
        .subcommand_matches("server")
        .and_then(|server| server.try_get_one::<PathBuf>("config").ok().flatten())
    else {
        return Ok((root, None));
    };
    let options = root
        .find_subcommand("server")
        .map(file_options)
        .unwrap_or_default();
    let file = read(path, options)?;
    let root = root.mut_subcommand("server", |mut server| {
        for value in &file.values {
            server = server.mut_arg(&value.id, |arg| arg.default_value(value.value.clone()));
        }
        server
    });
    Ok((root, Some(file)))
}

fn read(path: &Path, options: Vec<Arg>) -> CommandResult<ConfigFile> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        CommandError::usage(format!("cannot read the config file {shown}: {e}"))
            .with_hint("pass --config (or set SUPPORTCTL_CONFIG) to a readable TOML file")
    })?;
    let table: BTreeMap<Spanned<String>, Spanned<toml::Value>> =
        toml::from_str(&text).map_err(|e| {
            let Some(span) = e.span() else {
                return CommandError::usage(format!("{shown}: {}", e.message()));
            };
            let mut message = e.message().to_owned();
            if message == "duplicate key" {
                message = format!("duplicate key `{}`", text[span.clone()].trim());
            }
            CommandError::usage(format!("{shown}:{}: {message}", line_of(&text, span.start)))
        })?;
    let mut entries: Vec<_> = table.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let mut values = Vec::new();
    for (key, value) in entries {
        let line = line_of(&text, key.span().start);
        let at = format!("{shown}:{line}");
        let Some(arg) = options
            .iter()
            .find(|arg| arg.get_long() == Some(key.get_ref()))
        else {
            return Err(unknown_key(&at, key.get_ref(), &options));
        };
        let given = as_option_value(arg, value.get_ref()).map_err(|expected| {
            CommandError::usage(format!("{at}: `{key}` {expected}", key = key.get_ref()))
        })?;
        check_value(arg, &given)
            .map_err(|e| CommandError::usage(format!("{at}: {}", clap_message(&e))))?;
        values.push(FileValue {
            id: arg.get_id().to_string(),
            value: given,
            line,
        });
    }
    Ok(ConfigFile {
        path: path.to_owned(),
        values,
    })
}

/// Runs `value` through the option's own parser and checks, as if given on the command line.
fn check_value(arg: &Arg, value: &str) -> Result<(), clap::Error> {
    if kind(arg) == Kind::Boolean {
        // TOML's true and false are all a flag takes.
        return Ok(());
    }
    let long = arg.get_long().unwrap_or_default();
    Command::new("supportctl server")
        .no_binary_name(true)
        .arg(arg.clone())
        .try_get_matches_from([format!("--{long}={value}")])
        .map(drop)
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// A TOML value as the option's command-line text, or what it should have been.
pub(super) fn as_option_value(arg: &Arg, value: &toml::Value) -> Result<String, String> {
    match (kind(arg), value) {
        (Kind::Boolean, toml::Value::Boolean(flag)) => Ok(flag.to_string()),
        (Kind::Boolean, _) => Err("must be true or false".to_owned()),
        (Kind::Integer, toml::Value::Integer(number)) => Ok(number.to_string()),
        (Kind::Integer, _) => Err("must be a whole number, without quotes".to_owned()),
        (Kind::Text, toml::Value::String(text)) => Ok(text.clone()),
        (Kind::Text, _) => Err(format!(
            "must be a string in quotes ({})",
            arg.get_value_names()
                .and_then(|names| names.first())
                .map_or_else(|| "text".to_owned(), |name| format!("a {name}"))
        )),
    }
}

/// clap's report of a bad value, in one line and without its `error:` label.
fn clap_message(error: &clap::Error) -> String {
    let report = error.render().to_string();
    let mut lines = report
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty());
    let first = lines
        .next()
        .unwrap_or("invalid value")
        .trim_start_matches("error:")
        .trim()
        .to_owned();
    let values = lines.find_map(|line| {
        line.strip_prefix("[possible values:")
            .and_then(|values| values.strip_suffix(']'))
    });
    match values {
        Some(values) => format!("{first} (possible values: {})", values.trim()),
        None => first,
    }
}

fn unknown_key(at: &str, key: &str, options: &[Arg]) -> CommandError {
    if COMMAND_LINE_ONLY.contains(&key) {
        return CommandError::usage(format!("{at}: `{key}` cannot be set in a config file"))
            .with_hint(format!("pass --{key} on the command line"));
    }
    let closest = options
        .iter()
        .filter_map(Arg::get_long)
        .map(|long| (strsim::jaro_winkler(key, long), long))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let error = CommandError::usage(format!("{at}: unknown key `{key}`"));
    match closest {
        Some((_, long)) => error.with_hint(format!("did you mean `{long}`?")),
        None => error.with_hint(
            "the keys are the long options of `supportctl server` (see its --help), without --",
        ),
    }
}

/// Each option a config file may set: its value, and whether it came from the command line,
/// the environment, `file` or the default. `server` is `supportctl server`'s command, `matches`
/// what it parsed.
pub fn settings(server: &Command, matches: &ArgMatches, file: Option<&ConfigFile>) -> Vec<Setting> {
    file_options(server)
        .iter()
        .filter_map(|arg| {
            let id = arg.get_id().as_str();
            let key = arg.get_long()?.to_owned();
            let raw: Option<Vec<String>> = matches.try_get_raw(id).ok().flatten().map(|raw| {
                raw.map(|value| value.to_string_lossy().into_owned())
                    .collect()
            });
            let value = match raw.as_deref() {
                None | Some([]) => Json::Null,
                Some([one]) => typed(kind(arg), one),
                Some(many) => Json::from(many.join(",")),
            };
            let from_file = file.and_then(|file| {
                file.values
                    .iter()
                    .find(|value| value.id == id)
                    .map(|value| format!("{}:{}", file.path.display(), value.line))
            });
            let source = match matches.value_source(id) {
                Some(ValueSource::CommandLine) => "flag".to_owned(),
                Some(ValueSource::EnvVariable) => arg.get_env().map_or_else(
                    || "env".to_owned(),
                    |name| format!("env {}", name.to_string_lossy()),
                ),
                Some(ValueSource::DefaultValue) => {
                    from_file.unwrap_or_else(|| "default".to_owned())
                }
                _ => "default".to_owned(),
            };
            Some(Setting { key, value, source })
        })
        .collect()
}

fn typed(kind: Kind, raw: &str) -> Json {
    match kind {
        Kind::Boolean => raw
            .parse::<bool>()
            .map_or_else(|_| Json::from(raw), Json::from),
        Kind::Integer => raw
            .parse::<i64>()
            .map_or_else(|_| Json::from(raw), Json::from),
        Kind::Text => Json::from(raw),
    }
}
