#pragma once

#include "runpodclient.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>
#include <optional>

namespace cd::runners {

// The endpoint's workers and queue as RunPod's /health reports them; what the window's RunPod panel
// shows, read in process or through `GET /api/runpod/health`.
struct RunPodHealthSnapshot
{
    bool configured = false;
    QString error; // the health call failed: why (the counts are 0 then)
    int running = 0;
    int idle = 0;
    int queued = 0;

    static RunPodHealthSnapshot fromReply(const RunPodReply &reply);
    static RunPodHealthSnapshot fromJson(const QJsonObject &o);
    QJsonObject toJson() const;
};

// One health read shared by everyone who asks within the cache age, so any number of windows cost
// RunPod one call per period; whoever asks while a call is on its way waits for that one. A failed
// read is kept as long as a good one: a rate-limited account is not asked again at once.
class RunPodHealthCache final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunPodHealthCache)
public:
    static constexpr int kMaxAgeMs = 5000;
    using Done = std::function<void(const RunPodHealthSnapshot &)>;

    // `client` is asked on every read: null when the RunPod backend is not configured (now).
    explicit RunPodHealthCache(std::function<RunPodClient *()> client, QObject *parent = nullptr);

    // Calls `done` with a snapshot at most the cache age old, while `context` lives: at once when
    // the backend is off or the last read is fresh, else when RunPod answers.
    void read(QObject *context, Done done);
    void setMaxAgeMs(int ms) { m_maxAgeMs = ms; }
    // Health calls made to RunPod.
    quint64 calls() const { return m_calls; }

private:
    void fetch(RunPodClient *client);

    std::function<RunPodClient *()> m_client;
    RunPodClient *m_lastClient = nullptr;
    std::optional<RunPodHealthSnapshot> m_last;
    QElapsedTimer m_age;
    QList<std::pair<QPointer<QObject>, Done>> m_waiting;
    bool m_fetching = false;
    quint64 m_calls = 0;
    int m_maxAgeMs = kMaxAgeMs;
};

} // namespace cd::runners
