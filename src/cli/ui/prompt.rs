//! Asking on the terminal: dialoguer prompts that give the cursor back on Ctrl-C, fit the
//! terminal's width and take whole lines; and the signals that end a command from a terminal.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use crate::cli::error::{CommandError, CommandResult};

/// Runs one dialoguer prompt.
///
/// Ctrl-C at a prompt makes console raise SIGINT, which ends the process as it should (the
/// shell sees 130). But selections hide the cursor while they run, and a process killed there
/// would leave the user's terminal without one: so while a prompt runs, SIGINT first gives the
/// cursor back, then does what the default action does (or what a [`SignalHold`] says).
pub fn prompt<T>(ask: impl FnOnce() -> dialoguer::Result<T>) -> CommandResult<T> {
    install_signal_actions();
    PROMPTING.store(true, Ordering::SeqCst);
    let answer = ask();
    PROMPTING.store(false, Ordering::SeqCst);
    answer.map_err(prompt_error)
}

/// Whether this process has a terminal to ask on.
pub(super) fn has_tty() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

/// Whether a prompt is on the terminal (read by the signal action).
static PROMPTING: AtomicBool = AtomicBool::new(false);
/// Whether the signals that end a command are held back (see [`SignalHold`]).
static HOLDING: AtomicBool = AtomicBool::new(false);
/// The last signal held back and not yet taken; 0: none.
static HELD: AtomicI32 = AtomicI32::new(0);

/// Ctrl-C, `kill` and the terminal closing.
const ENDING_SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// One action for the signals that end a command: the cursor back if a prompt hid it, then
/// the default action, unless a [`SignalHold`] holds them back.
fn install_signal_actions() {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        for signal in ENDING_SIGNALS {
            // SAFETY: the action makes only async-signal-safe calls: atomic loads and stores,
            // one write(2) and signal-hook's emulation of the default action (reset, then
            // re-raise).
            let _ = unsafe {
                signal_hook::low_level::register(signal, move || {
                    if signal == SIGINT && PROMPTING.load(Ordering::SeqCst) {
                        show_cursor_from_signal_handler();
                    }
                    if HOLDING.load(Ordering::SeqCst) {
                        HELD.store(signal, Ordering::SeqCst);
                    } else {
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                    }
                })
            };
        }
    });
}

/// SIGINT, SIGTERM and SIGHUP held back while a command has something to undo before it ends
/// (`session exec`'s open session). Before [`SignalHold::hold`], after [`SignalHold::release`]
/// and once dropped, they end the process as usual; in between, each is recorded for the
/// command to take and act on.
pub struct SignalHold(());

impl SignalHold {
    /// Puts the actions in place (still acting as usual): a signal can then never find the
    /// process without them between the moment a session is asked for and its hold.
    pub fn install() -> SignalHold {
        install_signal_actions();
        SignalHold(())
    }

    /// From now on, record the signals instead of ending the process.
    pub fn hold(&self) {
        HOLDING.store(true, Ordering::SeqCst);
    }

    /// Back to the usual actions; a signal recorded meanwhile takes its action now.
    pub fn release(&self) {
        HOLDING.store(false, Ordering::SeqCst);
        if let Some(signal) = self.take() {
            let _ = signal_hook::low_level::emulate_default_handler(signal);
        }
    }

    /// The signal recorded since the last call, if any.
    pub fn take(&self) -> Option<i32> {
        match HELD.swap(0, Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }
}

impl Drop for SignalHold {
    fn drop(&mut self) {
        HOLDING.store(false, Ordering::SeqCst);
    }
}

/// "Show cursor", and a newline so the shell's prompt starts on a line of its own.
fn show_cursor_from_signal_handler() {
    use std::os::fd::FromRawFd;
    // One write(2) to fd 2, bypassing std's stderr lock (not safe in a signal handler);
    // ManuallyDrop keeps the descriptor open.
    // SAFETY: fd 2 stays open for the life of the process; it is never closed here.
    let mut stderr = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(2) });
    let _ = stderr.write_all(b"\x1b[?25h\n");
}

/// Maps a failed prompt: Ctrl-C is an interruption (130), anything else an error.
pub fn prompt_error(error: dialoguer::Error) -> CommandError {
    match error {
        dialoguer::Error::IO(e) if e.kind() == io::ErrorKind::Interrupted => {
            CommandError::interrupted()
        }
        dialoguer::Error::IO(e) => CommandError::general(format!("cannot prompt: {e}")),
    }
}

/// Asks for a line of text. `required` is the one-line reason an empty answer is refused
/// with, asked again until given; `None` accepts an empty answer. The answer is as typed.
pub fn ask_text(question: &str, required: Option<&'static str>) -> CommandResult<String> {
    let question = fit_prompt(question);
    prompt(|| {
        dialoguer::Input::<String>::new()
            .with_prompt(question)
            .allow_empty(required.is_none())
            .validate_with(move |text: &String| match required {
                Some(missing) if text.trim().is_empty() => {
                    discard_typeahead();
                    Err(missing)
                }
                _ => Ok(()),
            })
            .interact_text()
    })
}

/// Asks a yes-or-no question, "no" unless answered otherwise. The answer is a line (y, yes,
/// n, no; empty: no), as gh and tsh read it: the Enter typed after a "y" ends that answer,
/// never reaching the next question.
pub fn ask_yes_no(question: &str) -> CommandResult<bool> {
    let question = fit_prompt(&format!("{question} [y/N]"));
    let answer = prompt(|| {
        dialoguer::Input::<String>::with_theme(&Question)
            .with_prompt(question)
            .allow_empty(true)
            .validate_with(|text: &String| match yes_or_no(text) {
                Some(_) => Ok(()),
                None => {
                    discard_typeahead();
                    Err("answer y or n")
                }
            })
            .interact_text()
    })?;
    Ok(yes_or_no(&answer) == Some(true))
}

fn yes_or_no(answer: &str) -> Option<bool> {
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(true),
        "" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// dialoguer's plain look, but a question keeps its own punctuation: `Revoke …? [y/N] y`.
struct Question;

impl dialoguer::theme::Theme for Question {
    fn format_input_prompt(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        _default: Option<&str>,
    ) -> std::fmt::Result {
        write!(f, "{prompt} ")
    }

    fn format_input_prompt_selection(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        answer: &str,
    ) -> std::fmt::Result {
        write!(f, "{prompt} {answer}")
    }
}

/// Drops what was typed on the terminal and not read yet. After an answer is refused (by the
/// prompt or by the server), the question asked again must wait for a new answer, not take a
/// line typed ahead for another question.
pub fn discard_typeahead() {
    #[cfg(unix)]
    if let Ok(tty) = std::fs::File::open("/dev/tty") {
        use std::os::fd::AsRawFd;
        // SAFETY: tcflush(3) on a descriptor held open for the call.
        unsafe {
            libc::tcflush(tty.as_raw_fd(), libc::TCIFLUSH);
        }
    }
}

/// Columns kept free after a prompt for the answer typed on its line.
const ANSWER_ROOM: usize = 8;

/// Fits a question to the terminal: wrapped to its width, every line but the last printed
/// (stderr) and the last returned for dialoguer to ask with. dialoguer redraws and clears its
/// prompt as one line: a prompt the terminal wraps would be left half on screen and drawn
/// again under it.
pub fn fit_prompt(question: &str) -> String {
    let columns = usize::from(dialoguer::console::Term::stderr().size().1);
    let mut lines = wrap(question, columns.saturating_sub(ANSWER_ROOM).max(20));
    let last = lines.pop().unwrap_or_default();
    let mut err = io::stderr().lock();
    for line in lines {
        let _ = writeln!(err, "{line}");
    }
    last
}

/// `text` in lines of at most `width` columns, broken between words (a longer word keeps a
/// line of its own); its own line breaks are kept.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let measure = dialoguer::console::measure_text_width;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && measure(&line) + 1 + measure(word) > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_wrap_between_words_within_the_width() {
        let question = "Revoke all 12 active grants of org acme? This ends 3 active sessions \
                        at once and cannot be undone. [y/N]";
        let lines = wrap(question, 40);
        assert_eq!(
            lines,
            [
                "Revoke all 12 active grants of org acme?",
                "This ends 3 active sessions at once and",
                "cannot be undone. [y/N]",
            ]
        );
        assert_eq!(wrap("Short? [y/N]", 72), ["Short? [y/N]"]);
        assert_eq!(wrap("a\nb c", 72), ["a", "b c"]);
    }

    #[test]
    fn answers_are_yes_no_or_refused() {
        for yes in ["y", "Y", "yes", " YES "] {
            assert_eq!(yes_or_no(yes), Some(true), "{yes:?}");
        }
        for no in ["", "n", "No", "  "] {
            assert_eq!(yes_or_no(no), Some(false), "{no:?}");
        }
        for neither in ["yep", "maybe", "y n"] {
            assert_eq!(yes_or_no(neither), None, "{neither:?}");
        }
    }
}
