#include "headless.h"

#include "testutil.h"

#include <QRegularExpression>

#include <csignal>

namespace cdtest {

Headless::Headless(const QString &dataDir, const QStringList &extra)
    : Headless(QStringLiteral(CRAWLDECK_BINARY), dataDir, QByteArray(kToken), extra)
{}

Headless::Headless(QString binary, QString dataDir, QByteArray token, QStringList extra, QProcessEnvironment env)
    : m_binary(std::move(binary))
    , m_dataDir(std::move(dataDir))
    , m_token(std::move(token))
    , m_extra(std::move(extra))
    , m_env(std::move(env))
{
    start();
}

Headless::~Headless()
{
    kill();
}

void Headless::start()
{
    kill();
    m_out.clear();
    m_port = 0;
    m_proc = std::make_unique<QProcess>();
    m_proc->setProgram(m_binary);
    m_proc->setProcessEnvironment(m_env);
    m_proc->setArguments(QStringList{QStringLiteral("--headless"), QStringLiteral("--data-dir"), m_dataDir,
                                     QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                                     QStringLiteral("--api-token"), QString::fromLatin1(m_token)} +
                         m_extra);
    QObject::connect(m_proc.get(), &QProcess::readyReadStandardOutput, m_proc.get(),
                     [this] { m_out += m_proc->readAllStandardOutput(); });
    QObject::connect(m_proc.get(), &QProcess::readyReadStandardError, m_proc.get(),
                     [this] { m_err += m_proc->readAllStandardError(); });
    m_proc->start();
    static const QRegularExpression ready(QStringLiteral(R"(crawldeck: listening on http://127\.0\.0\.1:(\d+)\n)"));
    waitUntil(
        [&] {
            const auto m = ready.match(QString::fromUtf8(m_out));
            if (m.hasMatch())
                m_port = static_cast<quint16>(m.captured(1).toUInt());
            return m_port != 0 || m_proc->state() == QProcess::NotRunning;
        },
        15000);
}

void Headless::kill()
{
    if (m_proc && m_proc->state() != QProcess::NotRunning) {
        m_proc->kill();
        m_proc->waitForFinished(5000);
    }
}

int Headless::terminate()
{
    // A process that already ended has pid 0, and kill(0, …) would signal this test's own group.
    if (m_proc->state() != QProcess::NotRunning)
        ::kill(static_cast<pid_t>(m_proc->processId()), SIGTERM);
    waitUntil([&] { return m_proc->state() == QProcess::NotRunning; }, 15000);
    if (m_proc->state() != QProcess::NotRunning)
        return -1;
    return m_proc->exitStatus() == QProcess::NormalExit ? m_proc->exitCode() : -1;
}

void Headless::pause()
{
    ::kill(static_cast<pid_t>(m_proc->processId()), SIGSTOP);
}

void Headless::resume()
{
    ::kill(static_cast<pid_t>(m_proc->processId()), SIGCONT);
}

} // namespace cdtest
