#include "runpodhealth.h"

namespace cd::runners {

RunPodHealthSnapshot RunPodHealthSnapshot::fromReply(const RunPodReply &reply)
{
    RunPodHealthSnapshot h;
    h.configured = true;
    if (reply.error) {
        h.error = reply.error->describe();
        return h;
    }
    const QJsonObject w = reply.body.value(QStringLiteral("workers")).toObject();
    const QJsonObject j = reply.body.value(QStringLiteral("jobs")).toObject();
    h.running = w.value(QStringLiteral("running")).toInt();
    h.idle = w.value(QStringLiteral("idle")).toInt();
    h.queued = j.value(QStringLiteral("inQueue")).toInt();
    return h;
}

RunPodHealthSnapshot RunPodHealthSnapshot::fromJson(const QJsonObject &o)
{
    RunPodHealthSnapshot h;
    h.configured = o.value(QStringLiteral("configured")).toBool();
    h.error = o.value(QStringLiteral("error")).toString();
    h.running = o.value(QStringLiteral("running")).toInt();
    h.idle = o.value(QStringLiteral("idle")).toInt();
    h.queued = o.value(QStringLiteral("queued")).toInt();
    return h;
}

QJsonObject RunPodHealthSnapshot::toJson() const
{
    return QJsonObject{{QStringLiteral("configured"), configured},
                       {QStringLiteral("running"), running},
                       {QStringLiteral("idle"), idle},
                       {QStringLiteral("queued"), queued},
                       {QStringLiteral("error"), error.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(error)}};
}

RunPodHealthCache::RunPodHealthCache(std::function<RunPodClient *()> client, QObject *parent)
    : QObject(parent), m_client(std::move(client))
{}

void RunPodHealthCache::read(QObject *context, Done done)
{
    RunPodClient *client = m_client ? m_client() : nullptr;
    if (client != m_lastClient) { // configured anew: nothing read from the old endpoint stands
        m_lastClient = client;
        m_last.reset();
    }
    if (!client) {
        done(RunPodHealthSnapshot{});
        return;
    }
    if (m_last && m_age.isValid() && m_age.elapsed() < m_maxAgeMs) {
        done(*m_last);
        return;
    }
    m_waiting.append({QPointer<QObject>(context), std::move(done)});
    if (!m_fetching)
        fetch(client);
}

void RunPodHealthCache::fetch(RunPodClient *client)
{
    m_fetching = true;
    ++m_calls;
    // The client's own timeout and retries bound the wait.
    QCoro::connect(client->health(), this, [this, client](const RunPodReply &r) {
        m_fetching = false;
        const RunPodHealthSnapshot h = RunPodHealthSnapshot::fromReply(r);
        if (client == m_lastClient) {
            m_last = h;
            m_age.start();
        }
        const auto waiting = std::exchange(m_waiting, {});
        for (const auto &[context, done] : waiting)
            if (context)
                done(h);
    });
}

} // namespace cd::runners
