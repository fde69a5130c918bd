#pragma once

#include "client/apiclient.h"

#include <QObject>
#include <QString>

#include <functional>

namespace cd::ui {

// How a connection is doing, as the switcher and the connection dialog show it.
struct ConnectionHealth
{
    enum class State {
        Unknown,     // not asked yet, or the answer is on its way
        Reachable,   // /health answered
        Unreachable, // no answer, an error, or a refused certificate (error says which)
        NotStarted,  // "This computer" while its service has not been started
    };
    State state = State::Unknown;
    QString version;
    int queued = 0;
    int running = 0;
    QString error;
    QByteArray certificateSha256; // an untrusted certificate's fingerprint, to offer pinning it
    // Asked for: whether the token opens an authenticated route, and why not.
    bool tokenChecked = false;
    bool tokenAccepted = false;
    QString tokenError;

    // One line: "0.9.0 · 2 queued · 1 running", "unreachable: …".
    QString summary() const;
};

// The health of a server from GET /health (open) and, with `checkToken`, whether the config's token
// is accepted (GET /api/jobs?limit=1). One try each, a few seconds at most; `done` runs later from
// the event loop while `context` lives. Nothing waits in the caller's thread.
void probeConnection(const client::ClientConfig &config, bool checkToken, QObject *context,
                     std::function<void(const ConnectionHealth &)> done);

} // namespace cd::ui
