//! Writing output files: never over an existing file without `--force`, never half-written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::CliError;

/// Set once stdout's reader has gone (`ser eval ... | head -1`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes results to stdout. A closed pipe is the reader's choice, not an error: the rest of
/// the output is dropped and the command still finishes (its files are still written). Any
/// other failure (a full disk behind `>`) is an error.
pub(crate) fn write_stdout(args: std::fmt::Arguments) -> Result<(), CliError> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    match std::io::stdout().lock().write_fmt(args) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(CliError(format!("cannot write to stdout: {e}"))),
    }
}

/// Whether stdout's reader has gone: a command that only prints can stop.
pub(crate) fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// `print!` through [`write_stdout`]: a closed pipe ends the output quietly, not with a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` through [`write_stdout`].
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

/// Fails when `path` exists and `force` is off, is a folder, or cannot be written: its folder
/// must exist and take a new file. Checked before any work, so a read-only folder is found in
/// a moment, not after the whole run.
pub(crate) fn check_writable(path: &Path, force: bool) -> Result<(), CliError> {
    if path.is_dir() {
        return Err(CliError(format!(
            "{} is a folder; give a file name",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(CliError(format!(
            "{} exists; pass --force to overwrite it",
            path.display()
        )));
    }
    let parent = folder_of(path);
    if !parent.is_dir() {
        return Err(CliError(format!("{}: no such folder", parent.display())));
    }
    check_folder_takes_files(parent, path)
}

/// The folder `path` is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Fails, naming the `output` to be written there, unless a new file can be made in `dir`:
/// makes an empty one and removes it. (Permission bits alone do not say: root ignores them,
/// and read-only mounts and ACLs exist.)
pub(crate) fn check_folder_takes_files(dir: &Path, output: &Path) -> Result<(), CliError> {
    let probe = dir.join(format!(".ser-write-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| {
            CliError(format!(
                "{}: cannot write in {}: {e}",
                output.display(),
                dir.display()
            ))
        })
}

/// Writes `path` whole or not at all ([`ser_adaptive::data::write_atomically`]); errors name
/// the file.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), CliError> {
    ser_adaptive::data::write_atomically(path, write)
        .map_err(|e| CliError(format!("{}: cannot write: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_files_are_protected_and_writes_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        assert!(check_writable(&path, false).is_err());
        assert!(check_writable(&path, true).is_ok());
        // A failing writer leaves the old file intact and no temporary behind.
        let err = write_atomically(&path, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomically(&path, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.csv");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, |w| w.write_all(b"new")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[test]
    fn outputs_are_checked_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where a file should go.
        let err = check_writable(dir.path(), true).unwrap_err().0;
        assert!(err.contains("is a folder"), "{err}");
        // A missing folder.
        let err = check_writable(&dir.path().join("no/such.csv"), false)
            .unwrap_err()
            .0;
        assert!(err.contains("no such folder"), "{err}");
        // A writable one: the probe leaves nothing behind.
        check_writable(&dir.path().join("new.csv"), false).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
