//! Writing a file whole or not at all.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `path` atomically, so an interrupted write (the process killed, the disk full, a
/// failing writer) leaves the old file or none, never half of one: `write` fills a new
/// temporary file beside `path`, which is flushed to disk, given the old file's permissions
/// and renamed over it; then the folder is synced so the rename itself survives a crash. On
/// any failure the temporary file is removed. Model files, feature tables and every file
/// `ser` writes go through it.
///
/// ```
/// use std::io::Write;
///
/// let dir = std::env::temp_dir().join(format!("ser-data-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("notes.txt");
/// ser_data::write_atomically(&path, |w| w.write_all(b"whole"))?;
/// assert_eq!(std::fs::read(&path)?, b"whole");
/// // A failing writer leaves the old file as it was.
/// let failed = ser_data::write_atomically(&path, |w| {
///     w.write_all(b"half")?;
///     Err(std::io::Error::other("disk full"))
/// });
/// assert!(failed.is_err());
/// assert_eq!(std::fs::read(&path)?, b"whole");
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Hidden, and unique to this process and call.
    let tmp = path.with_file_name(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut out = BufWriter::new(
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?,
        );
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        if let Ok(old) = std::fs::metadata(path) {
            file.set_permissions(old.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Best effort: not every platform can open a folder to sync it.
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Ok(dir) = File::open(folder.unwrap_or(Path::new("."))) {
        let _ = dir.sync_all();
    }
    Ok(())
}
