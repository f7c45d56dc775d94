//! The one way commands talk to people and scripts. Data goes to stdout: a table on a
//! terminal, tab-separated values when piped, JSON with `-o json`, bare ids with `-q`.
//! Notes, hints, warnings, prompts and progress go to stderr.

use std::io::{self, IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use jiff::Timestamp;
use serde::Serialize;

use crate::cli::error::{CommandError, CommandResult};
use crate::cli::render::terminal_safe;

mod prompt;

use crate::cli::table::{Cell, Tabular};
use crate::cli::time::{local_full, relative_time};

use prompt::has_tty;
pub use prompt::{
    SignalHold, ask_text, ask_yes_no, discard_typeahead, fit_prompt, prompt, prompt_error,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns with relative times (the default on a terminal).
    Table,
    /// The API's JSON objects; a list is a JSON array (the stable contract for scripts).
    Json,
    /// Tab-separated values, no header, RFC 3339 times (the default when piped).
    Tsv,
}

/// `-o`: an output format, or the wide table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// Aligned columns with local, relative times (the default on a terminal).
    Table,
    /// The table with the rarer columns too (created by, engineers, ticket, ...).
    Wide,
    /// The API's JSON objects; a list is a JSON array (the stable contract for scripts).
    Json,
    /// Tab-separated values, no header, RFC 3339 times (the default when piped).
    Tsv,
    /// OCSF 1.1.0 events for a SIEM, one JSON object per line: only `audit list` has this
    /// form, so its help names it and every other command's leaves it out.
    #[value(hide = true)]
    Ocsf,
}

impl OutputArg {
    pub fn format(self) -> OutputFormat {
        match self {
            OutputArg::Table | OutputArg::Wide => OutputFormat::Table,
            OutputArg::Json | OutputArg::Ocsf => OutputFormat::Json,
            OutputArg::Tsv => OutputFormat::Tsv,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub struct UiSettings {
    pub format: Option<OutputFormat>,
    /// `-o wide`: a table with the rarer columns too.
    pub wide: bool,
    /// `-o ocsf`: audit events as OCSF events, one per line.
    pub ocsf: bool,
    pub quiet: bool,
    pub color: ColorChoice,
    pub assume_yes: bool,
    pub no_input: bool,
    pub verbosity: u8,
}

pub struct Ui {
    format: OutputFormat,
    quiet: bool,
    color: bool,
    stderr_color: bool,
    interactive: bool,
    assume_yes: bool,
    verbosity: u8,
    now: Timestamp,
    wide: bool,
    ocsf: bool,
    hidden: Vec<&'static str>,
    /// Confirmations may be asked on the terminal (`/dev/tty`) even when stdin is a pipe, like
    /// `xargs -o`: stderr is a terminal, `--no-input` is absent, and there is a terminal.
    can_confirm: bool,
}

impl Ui {
    pub fn new(settings: UiSettings) -> Ui {
        let choice = match settings.color {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
        let stdout_tty = io::stdout().is_terminal();
        // anstream resolves NO_COLOR, CLICOLOR_FORCE and the terminal for each stream.
        let color = anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never;
        let stderr_color =
            anstream::AutoStream::choice(&io::stderr()) != anstream::ColorChoice::Never;
        let interactive =
            !settings.no_input && io::stdin().is_terminal() && io::stderr().is_terminal();
        let format = settings.format.unwrap_or(if stdout_tty {
            OutputFormat::Table
        } else {
            OutputFormat::Tsv
        });
        Ui {
            format,
            quiet: settings.quiet,
            color,
            stderr_color,
            interactive,
            assume_yes: settings.assume_yes,
            verbosity: settings.verbosity,
            now: Timestamp::now(),
            wide: settings.wide,
            ocsf: settings.ocsf,
            hidden: Vec::new(),
            can_confirm: !settings.no_input && io::stderr().is_terminal() && has_tty(),
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// `-o ocsf`, which only `audit list` accepts.
    pub fn ocsf(&self) -> bool {
        self.ocsf
    }

    /// Leaves a column out of tables (not of TSV): the org, in an admin's own org's lists.
    pub fn hide_column(&mut self, header: &'static str) {
        self.hidden.push(header);
    }

    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// `--yes`: every confirmation is taken as given.
    pub fn assume_yes(&self) -> bool {
        self.assume_yes
    }

    pub fn verbosity(&self) -> u8 {
        self.verbosity
    }

    /// Whether prompts may be shown: stdin and stderr are terminals and `--no-input` is absent.
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    // Data (stdout) ---------------------------------------------------------------------------

    pub fn line(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        writeln!(out, "{text}")
    }

    /// Data passed through as it arrives, unchanged (a JSON document too large to hold).
    pub fn copy(&self, reader: &mut impl io::Read) -> io::Result<u64> {
        io::copy(reader, &mut io::stdout().lock())
    }

    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        // Serialize first, so that a closed pipe surfaces as the I/O error it is.
        let mut text = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
        text.push(b'\n');
        io::stdout().lock().write_all(&text)
    }

    pub fn list<T: Tabular>(&mut self, items: &[T]) -> io::Result<()> {
        if self.quiet {
            let mut out = io::stdout().lock();
            for item in items {
                writeln!(out, "{}", item.id())?;
            }
            return Ok(());
        }
        match self.format {
            OutputFormat::Json => self.json(items),
            OutputFormat::Tsv => {
                let mut out = io::stdout().lock();
                for item in items {
                    writeln!(out, "{}", self.tsv_row(&item.cells()))?;
                }
                Ok(())
            }
            OutputFormat::Table => {
                if items.is_empty() {
                    self.note("Nothing to show.");
                    return Ok(());
                }
                let shown: Vec<usize> = T::headers()
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| {
                        !self.hidden.contains(h) && (self.wide || !T::wide_only().contains(h))
                    })
                    .map(|(index, _)| index)
                    .collect();
                let headers: Vec<&str> = shown.iter().map(|&i| T::headers()[i]).collect();
                let rows: Vec<Vec<Cell>> = items
                    .iter()
                    .map(|item| {
                        let mut cells: Vec<Option<Cell>> =
                            item.cells().into_iter().map(Some).collect();
                        shown.iter().filter_map(|&i| cells[i].take()).collect()
                    })
                    .collect();
                self.line(&self.style().list(&headers, &rows, T::drop_order()))
            }
        }
    }

    /// One resource: a field/value table on a terminal, else like a one-item list.
    pub fn one<T: Tabular>(&mut self, item: &T) -> io::Result<()> {
        if self.quiet {
            return self.line(item.id());
        }
        match self.format {
            OutputFormat::Json => self.json(item),
            OutputFormat::Tsv => self.list(std::slice::from_ref(item)),
            OutputFormat::Table => {
                let style = self.style();
                let mut table = style.table();
                let fields = T::headers().iter().copied().zip(item.cells());
                for (header, cell) in fields.chain(item.details()) {
                    let cell = match cell {
                        // Read in full here: the whole list of areas, the local time too.
                        Cell::Shown { tsv, .. } => Cell::Text(tsv),
                        Cell::Time(Some(at)) => Cell::Text(format!(
                            "{} ({})",
                            local_full(at),
                            relative_time(at, self.now)
                        )),
                        other => other,
                    };
                    table.add_row(vec![style.header(header), style.cell(&cell)]);
                }
                self.line(&table.to_string())
            }
        }
    }

    fn style(&self) -> crate::cli::table::Style {
        crate::cli::table::Style {
            color: self.color,
            now: self.now,
        }
    }

    fn tsv_row(&self, cells: &[Cell]) -> String {
        tsv_cells(cells).join("\t")
    }

    // Messages (stderr) -----------------------------------------------------------------------

    fn message(&self, label: &str, style: Style, text: &str) {
        let text = lines_safe(text);
        let mut err = io::stderr().lock();
        let _ = if self.stderr_color {
            writeln!(err, "{style}{label}{style:#} {text}")
        } else {
            writeln!(err, "{label} {text}")
        };
    }

    /// A change whose success line says it all on a terminal: the success line (stderr), and
    /// the changed row only where a script reads stdout (JSON, TSV, `--quiet`).
    pub fn success_or_row<T: Tabular>(&mut self, success: &str, item: &T) -> io::Result<()> {
        self.success(success);
        if self.format != OutputFormat::Table || self.quiet {
            self.one(item)?;
        }
        Ok(())
    }

    /// A dry run's answer, where a script reads stdout (JSON, TSV); on a terminal the "Dry
    /// run:" note says it, and `--quiet` prints nothing (the ids in a preview name nothing).
    pub fn preview<T: Tabular>(&mut self, item: &T) -> io::Result<()> {
        if self.format != OutputFormat::Table && !self.quiet {
            self.one(item)?;
        }
        Ok(())
    }

    /// Something new: on a terminal the success line and then the new row; elsewhere the row.
    pub fn created<T: Tabular>(&mut self, success: &str, item: &T) -> io::Result<()> {
        if self.format == OutputFormat::Table && !self.quiet {
            self.success(success);
        }
        self.one(item)
    }

    pub fn note(&self, text: &str) {
        if !self.quiet {
            let mut err = io::stderr().lock();
            let _ = writeln!(err, "{}", lines_safe(text));
        }
    }

    /// What a question is about (a summary before "Create this grant?"): shown even with
    /// `-q`, since the person answering needs it.
    pub fn prompt_text(&self, text: &str) {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{}", lines_safe(text));
    }

    /// Progress and outcomes people want to see; silent with `-q`.
    pub fn success(&self, text: &str) {
        if !self.quiet {
            self.message(
                "✓",
                Style::new().fg_color(Some(AnsiColor::Green.into())),
                text,
            );
        }
    }

    pub fn warn(&self, text: &str) {
        self.message(
            "warning:",
            Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
            text,
        );
    }

    pub fn hint(&self, text: &str) {
        self.message(
            "hint:",
            Style::new().fg_color(Some(AnsiColor::Cyan.into())),
            text,
        );
    }

    pub fn error(&self, error: &CommandError) {
        self.message(
            "error:",
            Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            &error.message,
        );
        if let Some(hint) = &error.hint {
            self.hint(hint);
        }
    }

    // Prompts (stderr) ------------------------------------------------------------------------

    /// Asks before a destructive step. Without a terminal, `--yes` is required (exit 2).
    /// Asks on the terminal (even when stdin is a pipe), wrapped to its width; the answer is
    /// a line, `y` or `yes` then Enter. A "no" prints `Cancelled.`; the caller then ends with
    /// [`CommandError::cancelled`].
    pub fn confirm(&self, question: &str) -> CommandResult<bool> {
        if self.assume_yes {
            return Ok(true);
        }
        if !self.can_confirm {
            return Err(
                CommandError::usage(format!("confirmation required: {question}"))
                    .with_hint("there is no terminal to ask; pass --yes to confirm"),
            );
        }
        // dialoguer (console) reads keys from /dev/tty when stdin is not a terminal.
        let yes = ask_yes_no(&terminal_safe(question))?;
        if !yes {
            self.note("Cancelled.");
        }
        Ok(yes)
    }

    /// Progress of unknown length (e.g. reading a log to its end): a spinner and a count.
    pub fn spinner(&self, message: &str, unit: &str) -> indicatif::ProgressBar {
        let bar = if self.interactive && !self.quiet {
            indicatif::ProgressBar::new_spinner()
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(&format!("{{spinner}} {{msg}} {{pos}} {unit}"))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    }

    pub fn spinner_or_bar(&self, len: u64, message: &str) -> indicatif::ProgressBar {
        let bar = if self.interactive && !self.quiet {
            indicatif::ProgressBar::new(len)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_owned());
        bar
    }
}

/// A row's fields as TSV prints them: escaped, times in RFC 3339. For commands that print a
/// resource's row plus extra fields (a token shown once).
pub fn tsv_cells(cells: &[Cell]) -> Vec<String> {
    cells
        .iter()
        .map(|cell| match cell {
            Cell::Text(text) | Cell::Status(text) | Cell::Fixed(text) => tsv_escape(text),
            Cell::Marked { status, .. } => tsv_escape(status),
            Cell::Shown { tsv, .. } => tsv_escape(tsv),
            Cell::Placeholder(_) => String::new(),
            Cell::Time(None) | Cell::Ended { at: None, .. } => String::new(),
            Cell::Time(Some(at)) | Cell::Ended { at: Some(at), .. } => at.to_string(),
        })
        .collect()
}

/// A message's lines, each [`terminal_safe`]: messages are ours and may run over lines, but
/// the text from others they quote must not act on the terminal.
fn lines_safe(text: &str) -> String {
    text.split('\n')
        .map(terminal_safe)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A TSV field: one record per line and fields split at tabs, so tabs and newlines are
/// escaped (`\t`, `\n`); so is everything else [`terminal_safe`] escapes (`\u{1b}`), since
/// piped output often ends on a terminal (`| grep`); backslashes are doubled, so that the
/// escapes read back unambiguously.
fn tsv_escape(text: &str) -> String {
    terminal_safe(&text.replace('\\', "\\\\")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_fields_never_contain_separators() {
        assert_eq!(tsv_escape("a\tb\nc\\"), "a\\tb\\nc\\\\");
        assert_eq!(tsv_escape("plain"), "plain");
        assert_eq!(
            tsv_escape("\u{1b}]52;c;eA==\u{7} \u{202e}x\\u{1b}"),
            "\\u{1b}]52;c;eA==\\u{7} \\u{202e}x\\\\u{1b}"
        );
    }
}
