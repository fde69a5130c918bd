#include "privatefiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cd {

bool makePrivateDir(const QString &path)
{
    const QFileInfo fi(path);
    if (!fi.exists()) {
        if (!QDir().mkpath(fi.absolutePath()))
            return false;
        // mkdir with 0700 leaves no moment when the directory is open to others; chmod then makes the
        // mode exact whatever the umask removed.
        if (::mkdir(QFile::encodeName(fi.absoluteFilePath()).constData(), 0700) != 0 && errno != EEXIST)
            return false;
    }
    return ::chmod(QFile::encodeName(fi.absoluteFilePath()).constData(), 0700) == 0;
}

bool createPrivateFile(const QString &path)
{
    const QByteArray name = QFile::encodeName(path);
    const int fd = ::open(name.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST;
    const bool ok = ::fchmod(fd, 0600) == 0;
    ::close(fd);
    return ok;
}

QStringList tightenPrivate(const QStringList &paths)
{
    QStringList changed;
    for (const QString &path : paths) {
        const QByteArray name = QFile::encodeName(path);
        struct stat sb = {};
        if (::lstat(name.constData(), &sb) != 0 || S_ISLNK(sb.st_mode) || sb.st_uid != ::geteuid())
            continue;
        const mode_t before = sb.st_mode & 07777;
        const mode_t after = before & ~mode_t(077);
        if (after == before || ::chmod(name.constData(), after) != 0)
            continue;
        changed << QStringLiteral("%1 %2 -> %3")
                       .arg(path)
                       .arg(before, 4, 8, QLatin1Char('0'))
                       .arg(after, 4, 8, QLatin1Char('0'));
    }
    return changed;
}

} // namespace cd
