#pragma once

#include <QString>
#include <QStringList>

namespace cd {

// The data directory holds the API token, every job's logs and results: only its owner may read
// it, whatever the process umask says. Modes are set explicitly where things are created.

// Creates `path` (and missing parents) and sets mode 0700 on it; true when it exists afterwards.
bool makePrivateDir(const QString &path);
// Creates `path` empty with mode 0600 if it does not exist; an existing file is left as it is.
bool createPrivateFile(const QString &path);

// Takes group and other permissions off existing files and directories that this user owns (data
// left readable by an older build or a careless copy). Symbolic links, missing paths and other
// users' files are left alone. Returns one "<path> 0755 -> 0700" line per change.
QStringList tightenPrivate(const QStringList &paths);

} // namespace cd
