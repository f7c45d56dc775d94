//! Starting a child process in a new, empty session keyring, as separate terminal logins
//! would have: `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)` between fork and exec.

use std::process::Command;

/// Why the kernel keyring cannot be used here, if it cannot.
pub fn unusable() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        // Probe in a child, exactly as the tests' commands will start.
        let mut probe = Command::new("true");
        in_fresh_session_keyring(&mut probe);
        match probe.status() {
            Ok(status) if status.success() => None,
            Ok(status) => Some(format!("the probe process failed ({status})")),
            Err(error) => Some(format!(
                "keyctl(KEYCTL_JOIN_SESSION_KEYRING) was refused: {error} \
                 (e.g. a container's seccomp profile forbids keyctl)"
            )),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        Some("the kernel keyutils store exists only on Linux".to_owned())
    }
}

/// Makes `command` start in a new, empty session keyring.
pub fn in_fresh_session_keyring(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec the closure makes one async-signal-safe system call
        // and allocates nothing on success.
        unsafe {
            command.pre_exec(|| {
                let joined = libc::syscall(
                    libc::SYS_keyctl,
                    libc::KEYCTL_JOIN_SESSION_KEYRING,
                    std::ptr::null::<libc::c_char>(),
                );
                if joined < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}
