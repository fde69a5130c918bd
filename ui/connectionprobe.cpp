#include "connectionprobe.h"

#include <QCoreApplication>
#include <QJsonObject>

#include <QCoro/QCoroTask>

namespace cd::ui {

namespace {
constexpr int kProbeTimeoutMs = 5000;

QString tr(const char *text)
{
    return QCoreApplication::translate("cd::ui::ConnectionHealth", text);
}

QCoro::Task<ConnectionHealth> probe(client::ClientConfig config, bool checkToken)
{
    config.timeoutMs = kProbeTimeoutMs;
    config.maxAttempts = 1;
    client::ApiClient api(config);
    ConnectionHealth out;
    const auto health = co_await api.health();
    if (!health) {
        out.state = ConnectionHealth::State::Unreachable;
        const client::ClientError &e = health.error();
        out.error = e.describe();
        if (e.kind == client::ClientError::Kind::Network) {
            // The switcher names the server already: the socket's words alone.
            out.error = e.detail;
            const QString where = QStringLiteral(" (%1)").arg(config.baseUrl.toDisplayString());
            if (out.error.endsWith(where))
                out.error.chop(where.size());
        } else if (e.kind == client::ClientError::Kind::Timeout) {
            out.error = tr("no answer within %1 s").arg(kProbeTimeoutMs / 1000);
        }
        out.certificateSha256 = health.error().certificateSha256;
        co_return out;
    }
    out.state = ConnectionHealth::State::Reachable;
    out.version = health->version;
    const QJsonObject jobs = health->raw.value(QStringLiteral("jobs")).toObject();
    out.queued = jobs.value(QStringLiteral("queued")).toInt();
    out.running = jobs.value(QStringLiteral("running")).toInt() + jobs.value(QStringLiteral("starting")).toInt();
    if (health->status != u"ok")
        out.error = health->raw.value(QStringLiteral("error")).toString();
    if (checkToken) {
        client::JobQuery q;
        q.limit = 1;
        const auto page = co_await api.jobs(q);
        out.tokenChecked = true;
        out.tokenAccepted = page.ok();
        if (!page)
            out.tokenError = page.error().kind == client::ClientError::Kind::Http && page.error().status == 401
                                 ? tr("the token was refused")
                                 : page.error().describe();
    }
    co_return out;
}
} // namespace

QString ConnectionHealth::summary() const
{
    switch (state) {
    case State::Unknown: return tr("checking…");
    case State::NotStarted: return tr("not started");
    case State::Unreachable: return tr("unreachable · %1").arg(error);
    case State::Reachable: break;
    }
    QString line = tr("%1 queued · %2 running").arg(queued).arg(running);
    if (!version.isEmpty())
        line = version + QStringLiteral(" · ") + line;
    if (!error.isEmpty())
        line += QStringLiteral(" · ⚠ ") + error;
    return line;
}

void probeConnection(const client::ClientConfig &config, bool checkToken, QObject *context,
                     std::function<void(const ConnectionHealth &)> done)
{
    QCoro::connect(probe(config, checkToken), context, std::move(done));
}

} // namespace cd::ui
