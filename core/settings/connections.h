#pragma once

#include "common/result.h"
#include "secretstore.h"

#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QUrl>

#include <memory>
#include <optional>

class QSettings;

namespace cd::settings {

// A server the desktop window can work on. "This computer" (the embedded service) is one too, with
// the id kLocalConnection and no URL.
struct SavedConnection
{
    QString id; // stable across renames; empty for one not saved (`--connect` with a new URL)
    QString name;
    QUrl url;
    QByteArray pinnedSha256; // lowercase hex; empty: the system's CAs decide (client::ClientConfig)

    bool isLocal() const;
};

inline const QString kLocalConnection = QStringLiteral("local");

// The desktop's own list of servers (not a service's settings): names, URLs and pins in an ini file
// of the user's configuration, tokens in the keychain (SecretStore: a 0600 file when no keychain
// answers). A token is never written to the ini file.
class ConnectionList
{
public:
    // $XDG_CONFIG_HOME/crawldeck (~/.config/crawldeck): the ini file and, without a keychain, the
    // tokens' files under secrets/.
    static QString defaultDir(const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());

    ConnectionList(const QString &dir, bool useKeychain);
    ~ConnectionList();
    ConnectionList(const ConnectionList &) = delete;
    ConnectionList &operator=(const ConnectionList &) = delete;

    QString file() const;
    // "This computer" first, then the saved servers in the order they were added.
    QList<SavedConnection> all() const;
    std::optional<SavedConnection> find(const QString &id) const;
    // The saved connection to this server (scheme, host, port and path compared), if any.
    std::optional<SavedConnection> findByUrl(const QUrl &url) const;
    // Saves a server (a new id when it has none; written back into `connection`). `token` unset
    // keeps the saved one. Returns where the token went ("keychain" or a file path; empty when no
    // token was given).
    Result<QString> save(SavedConnection &connection, const std::optional<QByteArray> &token);
    void remove(const QString &id);
    SecretStore::Value token(const QString &id) const;
    // Whether tokens go to a desktop keychain (else to files under the list's directory).
    bool keychainAnswers() const { return m_secrets.keychainAnswers(); }
    QString tokenFile(const QString &id) const;

private:
    QStringList ids() const;

    std::unique_ptr<QSettings> m_ini;
    SecretStore m_secrets;
};

} // namespace cd::settings
