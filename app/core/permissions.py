"""Who may read the data directory: only the user t2v runs as.

The data directory holds documents (in the job store and the cache), their narration and videos, API
key hashes and the link-signing secret. It is created 0700, and what t2v writes inside it is 0600
(directories 0700): the commands that serve or queue jobs set the umask to 077 at start, and the
places that create files set the mode explicitly as well, for callers that keep their own umask.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_umask() -> int:
    """Make every file this process creates private; returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create `path` (and its missing parents) as 0700 directories; an existing one is left as is."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            directory.mkdir(mode=DIR_MODE)
    return path


def secure_data_dir(path: Path) -> Path:
    """Create the data directory 0700, or tighten an existing one of ours that others can read.

    A directory owned by another user is left alone (we could not change it), with a warning.
    """
    private_dir(path)
    try:
        st = path.stat()
    except OSError:
        return path
    if stat.S_IMODE(st.st_mode) & PRIVATE_UMASK:
        if st.st_uid == os.geteuid():
            with contextlib.suppress(OSError):
                os.chmod(path, stat.S_IMODE(st.st_mode) & ~PRIVATE_UMASK)
                # fixed, nothing for the user to do: not a line on stderr beside a command's output
                log.info("made the data directory %s private (it was %o)", path, stat.S_IMODE(st.st_mode))
        else:
            log.warning("the data directory %s belongs to another user and others can read it", path)
    return path


def make_private(path: Path) -> None:
    """Tighten a file of ours to 0600 (directories to 0700); others' files and missing ones are skipped."""
    with contextlib.suppress(OSError):
        st = path.stat()
        wanted = DIR_MODE if stat.S_ISDIR(st.st_mode) else FILE_MODE
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & PRIVATE_UMASK:
            os.chmod(path, stat.S_IMODE(st.st_mode) & wanted)
