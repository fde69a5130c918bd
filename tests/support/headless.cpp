#include "headless.h"

#include "testutil.h"

#include <QRegularExpression>

#include <csignal>

namespace cdtest {

Headless::Headless(const QString &dataDir, const QStringList &extra)
{
    m_proc.setProgram(QStringLiteral(CRAWLDECK_BINARY));
    m_proc.setArguments(QStringList{QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir,
                                    QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                                    QStringLiteral("--api-token"), QString::fromLatin1(kToken)} +
                        extra);
    QObject::connect(&m_proc, &QProcess::readyReadStandardOutput, &m_proc,
                     [this] { m_out += m_proc.readAllStandardOutput(); });
    QObject::connect(&m_proc, &QProcess::readyReadStandardError, &m_proc,
                     [this] { m_err += m_proc.readAllStandardError(); });
    m_proc.start();
    static const QRegularExpression ready(QStringLiteral(R"(crawldeck: listening on http://127\.0\.0\.1:(\d+)\n)"));
    waitUntil(
        [&] {
            const auto m = ready.match(QString::fromUtf8(m_out));
            if (m.hasMatch())
                m_port = static_cast<quint16>(m.captured(1).toUInt());
            return m_port != 0 || m_proc.state() == QProcess::NotRunning;
        },
        10000);
}

Headless::~Headless()
{
    if (m_proc.state() != QProcess::NotRunning) {
        m_proc.kill();
        m_proc.waitForFinished(5000);
    }
}

int Headless::terminate()
{
    ::kill(static_cast<pid_t>(m_proc.processId()), SIGTERM);
    waitUntil([&] { return m_proc.state() == QProcess::NotRunning; }, 10000);
    return m_proc.exitStatus() == QProcess::NormalExit ? m_proc.exitCode() : -1;
}

} // namespace cdtest
