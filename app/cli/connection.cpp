#include "connection.h"

#include "settings/settings.h"

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QSettings>

#include <sys/stat.h>

namespace cd::cli {

QString Connection::configPath(const QProcessEnvironment &env)
{
    QString base = env.value(QStringLiteral("XDG_CONFIG_HOME"));
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = env.value(QStringLiteral("HOME"), QDir::homePath()) + QStringLiteral("/.config");
    return base + QStringLiteral("/crawldeck/client.ini");
}

Result<Connection, QString> Connection::resolve(const std::optional<QString> &urlOption, const QProcessEnvironment &env)
{
    Connection c;
    QString url = urlOption.value_or(env.value(QStringLiteral("CRAWLDECK_URL")));
    QString urlSource = urlOption ? QStringLiteral("--url") : QStringLiteral("CRAWLDECK_URL");
    const QString token = env.value(QStringLiteral("CRAWLDECK_API_TOKEN")).trimmed();
    if (!token.isEmpty()) {
        c.token = token.toUtf8();
        c.tokenSource = QStringLiteral("CRAWLDECK_API_TOKEN");
    }

    const QString config = configPath(env);
    if (QFileInfo::exists(config) && (url.isEmpty() || c.token.isEmpty())) {
        struct stat st
        {};
        if (::stat(QFile::encodeName(config).constData(), &st) != 0)
            return QStringLiteral("cannot read %1").arg(config);
        // It holds a token: one that others can read is no longer a secret, so it is not used.
        if ((st.st_mode & 077) != 0)
            return QStringLiteral("%1 is readable or writable by others (mode %2); it holds a token, so it is not "
                                  "read. Run: chmod 600 %1")
                .arg(config, QString::number(st.st_mode & 0777, 8).rightJustified(4, u'0'));
        QSettings ini(config, QSettings::IniFormat);
        if (ini.status() != QSettings::NoError)
            return QStringLiteral("cannot read %1: not an INI file").arg(config);
        if (url.isEmpty() && ini.contains(QStringLiteral("url"))) {
            url = ini.value(QStringLiteral("url")).toString();
            urlSource = config;
        }
        if (c.token.isEmpty() && !ini.value(QStringLiteral("token")).toString().trimmed().isEmpty()) {
            c.token = ini.value(QStringLiteral("token")).toString().trimmed().toUtf8();
            c.tokenSource = config;
        }
    }
    if (url.isEmpty()) {
        url = QStringLiteral("http://127.0.0.1:8000");
        urlSource.clear();
    }
    c.url = QUrl(url, QUrl::StrictMode);
    if (!c.url.isValid() || (c.url.scheme() != u"http" && c.url.scheme() != u"https") || c.url.host().isEmpty())
        return QStringLiteral("%1 is not an http(s) server URL%2")
            .arg(url, urlSource.isEmpty() ? QString() : QStringLiteral(" (from %1)").arg(urlSource));

    // A server on this machine with no token configured: most likely this user's own, whose token
    // sits in the local data directory (as `crawldeck token` prints it).
    const QString host = c.url.host();
    const bool local = host == u"localhost" || QHostAddress(host).isLoopback();
    if (c.token.isEmpty() && local) {
        const QString dir = settings::Settings::resolveDataDir(settings::Overrides{}, env);
        if (const auto saved = settings::Settings::savedApiToken(dir); saved && !saved->isEmpty()) {
            c.token = saved->toUtf8();
            c.tokenSource = QStringLiteral("the saved token of %1").arg(dir);
        }
    }
    return c;
}

} // namespace cd::cli
