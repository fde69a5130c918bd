#pragma once

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <memory>

namespace cdtest {

// A real `crawldeck --headless` binary as a child process on a loopback port of its own.
class Headless
{
public:
    static constexpr const char *kToken = "e2e-token";

    // The binary under test with kToken.
    explicit Headless(const QString &dataDir, const QStringList &extra = {});
    Headless(QString binary, QString dataDir, QByteArray token, QStringList extra,
             QProcessEnvironment env = QProcessEnvironment::systemEnvironment());
    ~Headless();
    Headless(const Headless &) = delete;
    Headless &operator=(const Headless &) = delete;

    // Starts it (again) and waits for its "listening on" line; port() is 0 when it did not come up.
    void start();
    // SIGKILL: no shutdown, no last write.
    void kill();
    // SIGTERM, then waits for the exit; the exit code, or -1 after a crash or a hang.
    int terminate();
    void pause();
    void resume();
    quint16 port() const { return m_port; }
    QProcess &process() { return *m_proc; }
    QByteArray stderrText() const { return m_err; }

private:
    QString m_binary, m_dataDir;
    QByteArray m_token;
    QStringList m_extra;
    QProcessEnvironment m_env;
    std::unique_ptr<QProcess> m_proc;
    QByteArray m_out, m_err;
    quint16 m_port = 0;
};

} // namespace cdtest
