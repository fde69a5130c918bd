#pragma once
// What the benchmarks that drive a real `crawldeck --headless` over loopback share: starting one on
// a fresh data directory, and plain blocking HTTP/1.1 requests for set-up and checks.
#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

namespace cdbench {

// "POST path" with a JSON body, and `Authorization: Bearer token` when a token is given.
QByteArray post(const QByteArray &path, const QByteArray &body, const QByteArray &token = {});

// Sends one request on a new connection and returns the body of its (Content-Length) response.
QByteArray blockingRequest(quint16 port, const QByteArray &request);

// A `crawldeck --headless` on 127.0.0.1 with a fresh data directory, API token "bench" and an
// `idle` profile (a job that runs until cancelled); SIGTERM when destroyed.
class HeadlessServer final
{
public:
    HeadlessServer() = default;
    ~HeadlessServer();
    HeadlessServer(const HeadlessServer &) = delete;
    HeadlessServer &operator=(const HeadlessServer &) = delete;

    bool start(const QString &binary, const QString &database = {});
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
};

} // namespace cdbench
