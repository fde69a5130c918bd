#pragma once

#include "common/result.h"

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QUrl>

#include <optional>

namespace cd::cli {

// The server the command line talks to and the token it uses. Never from the command line (it
// would show in `ps` and shell history): the environment, a private config file, or, for a server
// on this machine, the local data directory's saved token as `crawldeck token` prints it.
struct Connection
{
    QUrl url;
    QByteArray token;
    QString tokenSource; // for messages: "CRAWLDECK_API_TOKEN", the config file's path, ...

    // Precedence: `--url` > CRAWLDECK_URL > the config file's `url` > http://127.0.0.1:8000;
    // CRAWLDECK_API_TOKEN > the config file's `token` > the local data directory (loopback servers
    // only). A config file that others may read is refused, not used.
    static Result<Connection, QString> resolve(const std::optional<QString> &urlOption, const QProcessEnvironment &env);
    // $XDG_CONFIG_HOME/crawldeck/client.ini (~/.config/crawldeck/client.ini).
    static QString configPath(const QProcessEnvironment &env);
};

} // namespace cd::cli
