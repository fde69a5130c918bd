#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace cdtest {

// The real `crawldeck --headless` binary as a child process on a loopback port of its own.
class Headless
{
public:
    static constexpr const char *kToken = "e2e-token";

    explicit Headless(const QString &dataDir, const QStringList &extra = {});
    ~Headless();
    Headless(const Headless &) = delete;
    Headless &operator=(const Headless &) = delete;

    quint16 port() const { return m_port; }
    QProcess &process() { return m_proc; }
    QByteArray stderrText() const { return m_err; }
    // SIGTERM, then the exit code (-1 after a crash or a timeout).
    int terminate();

private:
    QProcess m_proc;
    QByteArray m_out;
    QByteArray m_err;
    quint16 m_port = 0;
};

} // namespace cdtest
