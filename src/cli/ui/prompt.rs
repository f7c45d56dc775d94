//! Asking on the terminal: dialoguer prompts that give the cursor back on Ctrl-C.

use std::io::{self, Write};

use crate::cli::error::{CommandError, CommandResult};

/// Runs one dialoguer prompt.
///
/// Ctrl-C at a prompt makes console raise SIGINT, which ends the process as it should (the
/// shell sees 130). But selections hide the cursor while they run, and a process killed there
/// would leave the user's terminal without one: so while a prompt runs, SIGINT first gives the
/// cursor back, then does what the default action does.
pub fn prompt<T>(ask: impl FnOnce() -> dialoguer::Result<T>) -> CommandResult<T> {
    use std::sync::atomic::Ordering;
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        // SAFETY: the action makes only async-signal-safe calls: an atomic load, one write(2)
        // and signal-hook's emulation of the default action (reset, then re-raise).
        let _ = unsafe {
            signal_hook::low_level::register(signal_hook::consts::SIGINT, || {
                if PROMPTING.load(Ordering::SeqCst) {
                    show_cursor_from_signal_handler();
                }
                let _ =
                    signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGINT);
            })
        };
    });
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

/// Whether a prompt is on the terminal (read by the SIGINT action).
static PROMPTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

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
    prompt(|| {
        dialoguer::Input::<String>::new()
            .with_prompt(question)
            .allow_empty(required.is_none())
            .validate_with(move |text: &String| match required {
                Some(missing) if text.trim().is_empty() => Err(missing),
                _ => Ok(()),
            })
            .interact_text()
    })
}
