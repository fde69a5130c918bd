#include "connections.h"

#include "common/privatefiles.h"

#include <QCoreApplication>
#include <QDir>
#include <QSettings>
#include <QUuid>

namespace cd::settings {

namespace {
// Key strings of the desktop's connection list: here only.
const QString kGroup = QStringLiteral("connections");
const QString kOrder = QStringLiteral("order");
const QString kName = QStringLiteral("name");
const QString kUrl = QStringLiteral("url");
const QString kPin = QStringLiteral("pinned_sha256");

QString secretName(const QString &id)
{
    return QStringLiteral("connection-") + id;
}

QUrl comparable(QUrl url)
{
    url.setUserInfo({});
    url.setQuery(QString());
    url.setFragment(QString());
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path);
    url.setHost(url.host().toLower());
    if (url.port() < 0)
        url.setPort(url.scheme() == u"https" ? 443 : 80);
    return url;
}
} // namespace

bool SavedConnection::isLocal() const
{
    return id == kLocalConnection;
}

QString ConnectionList::defaultDir(const QProcessEnvironment &env)
{
    QString base = env.value(QStringLiteral("XDG_CONFIG_HOME"));
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = env.value(QStringLiteral("HOME"), QDir::homePath()) + QStringLiteral("/.config");
    return base + QStringLiteral("/crawldeck");
}

ConnectionList::ConnectionList(const QString &dir, bool useKeychain) : m_secrets(dir, useKeychain)
{
    makePrivateDir(dir);
    m_ini = std::make_unique<QSettings>(dir + QStringLiteral("/connections.ini"), QSettings::IniFormat);
}

ConnectionList::~ConnectionList() = default;

QString ConnectionList::file() const
{
    return m_ini->fileName();
}

QStringList ConnectionList::ids() const
{
    return m_ini->value(kGroup + u'/' + kOrder).toStringList();
}

QList<SavedConnection> ConnectionList::all() const
{
    QList<SavedConnection> out{
        SavedConnection{kLocalConnection, QCoreApplication::translate("cd::settings", "This computer"), {}, {}}};
    for (const QString &id : ids())
        if (auto c = find(id))
            out.append(*c);
    return out;
}

std::optional<SavedConnection> ConnectionList::find(const QString &id) const
{
    if (id == kLocalConnection)
        return all().first();
    if (id.isEmpty() || !ids().contains(id))
        return std::nullopt;
    const QString g = kGroup + u'/' + id + u'/';
    return SavedConnection{id, m_ini->value(g + kName).toString(), QUrl(m_ini->value(g + kUrl).toString()),
                           m_ini->value(g + kPin).toString().toLatin1()};
}

std::optional<SavedConnection> ConnectionList::findByUrl(const QUrl &url) const
{
    const QUrl wanted = comparable(url);
    for (const SavedConnection &c : all())
        if (!c.isLocal() && comparable(c.url) == wanted)
            return c;
    return std::nullopt;
}

Result<QString> ConnectionList::save(SavedConnection &connection, const std::optional<QByteArray> &token)
{
    if (connection.isLocal())
        return Error::make(Error::Code::InvalidArgument, QStringLiteral("This computer is not saved"));
    QStringList order = ids();
    if (connection.id.isEmpty())
        connection.id = QUuid::createUuid().toString(QUuid::WithoutBraces).left(8);
    if (!order.contains(connection.id))
        order.append(connection.id);
    QString where;
    if (token) {
        const auto written = m_secrets.write(secretName(connection.id), QString::fromUtf8(*token));
        if (!written)
            return written.error();
        where = written.value();
    }
    const QString g = kGroup + u'/' + connection.id + u'/';
    m_ini->setValue(g + kName, connection.name);
    m_ini->setValue(g + kUrl, connection.url.toString());
    m_ini->setValue(g + kPin, QString::fromLatin1(connection.pinnedSha256));
    m_ini->setValue(kGroup + u'/' + kOrder, order);
    m_ini->sync();
    if (m_ini->status() != QSettings::NoError)
        return Error::make(Error::Code::Unavailable, QStringLiteral("cannot write %1").arg(file()));
    return where;
}

void ConnectionList::remove(const QString &id)
{
    QStringList order = ids();
    if (id == kLocalConnection || !order.removeOne(id))
        return;
    m_secrets.remove(secretName(id));
    m_ini->remove(kGroup + u'/' + id);
    m_ini->setValue(kGroup + u'/' + kOrder, order);
    m_ini->sync();
}

SecretStore::Value ConnectionList::token(const QString &id) const
{
    return m_secrets.read(secretName(id));
}

QString ConnectionList::tokenFile(const QString &id) const
{
    return m_secrets.filePath(secretName(id));
}

} // namespace cd::settings
