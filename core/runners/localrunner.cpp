#include "localrunner.h"

#include "artifacts/artifactstore.h"
#include "feed/changefeed.h"
#include "jobs/jobspec.h"
#include "logs/logbus.h"
#include "logs/logparser.h"
#include "shellwords.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace cd::runners {

using model::LogLevel;
using model::LogSource;
using Code = Error::Code;

struct LocalRunner::Proc
{
    QString jobId;
    std::unique_ptr<QProcess> process;
    std::unique_ptr<QTimer> killTimer;
    QByteArray outBuf;
    QByteArray errBuf;
    QString lastError;
    qint64 pgid = 0;
    bool cancelRequested = false;
    bool failedToStart = false;
};

namespace {

bool looksLikeError(const QByteArray &line)
{
    static const QRegularExpression re(QStringLiteral(R"(^\s*\[(ERROR|ERR|FATAL|CRITICAL)\])"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(QString::fromUtf8(line.left(64))).hasMatch();
}

void signalGroup(qint64 pgid, int sig)
{
    if (pgid > 1)
        ::kill(static_cast<pid_t>(-pgid), sig);
}

} // namespace

LocalRunner::LocalRunner(LocalRunnerConfig config, logs::LogBus *bus, artifacts::ArtifactStore *artifacts,
                         QObject *parent)
    : Runner(parent), m_config(std::move(config)), m_bus(bus), m_artifacts(artifacts)
{
    connect(m_bus->feed(), &feed::ChangeFeed::linesCommitted, this, &LocalRunner::onExternalLines);
}

LocalRunner::~LocalRunner()
{
    shutdown();
}

Status LocalRunner::validate(const model::JobSpec &spec) const
{
    // The external profile (no process; see jobs::kExternalProfile) survives restarts: its worker
    // reports by callback.
    if (jobs::isExternal(spec.params))
        return Ok{};
    const QString profile = spec.params.value(QStringLiteral("profile")).toString(kDefaultProfile);
    if (!m_config.profiles.contains(profile))
        return Error::make(Code::Unprocessable,
                           QStringLiteral("unknown local profile '%1'; configured profiles: %2 "
                                          "(add one with --local-profile NAME=COMMAND or in Settings)")
                               .arg(profile, QStringList(m_config.profiles.keys()).join(QStringLiteral(", "))));
    // Checked now, with the worker's own parser, instead of as an exit code when the job runs.
    if (runsBuiltInCrawler(profile))
        return jobs::checkCrawlerParams(spec.params);
    return Ok{};
}

bool LocalRunner::runsBuiltInCrawler(const QString &profile) const
{
    const auto words = splitShellWords(m_config.profiles.value(profile));
    if (!words || words->size() < 3)
        return false;
    const QString &program = words->at(0);
    const bool self =
        program == u"crawldeck" || (!m_config.selfExecutable.isEmpty() && program == m_config.selfExecutable);
    return self && words->at(1) == u"worker" && words->at(2) == u"crawl";
}

Result<QStringList> LocalRunner::commandFor(const model::Job &job) const
{
    const QString profile = job.params.value(QStringLiteral("profile")).toString(kDefaultProfile);
    const auto it = m_config.profiles.constFind(profile);
    if (it == m_config.profiles.cend())
        return Error::make(Code::Unprocessable, QStringLiteral("unknown local profile '%1'").arg(profile));
    // Split first, substitute after: a path with spaces stays one argument.
    auto split = splitShellWords(it.value());
    if (!split)
        return Error::make(Code::Unprocessable,
                           QStringLiteral("local profile '%1': %2").arg(profile, split.error().detail));
    QStringList args = split.value();
    if (args.isEmpty())
        return Error::make(Code::Unprocessable, QStringLiteral("local profile '%1' has an empty command").arg(profile));
    for (QString &a : args) {
        a.replace(QStringLiteral("{job_id}"), job.id);
        a.replace(QStringLiteral("{output_dir}"), m_artifacts->outputDir(job.id));
        a.replace(QStringLiteral("{params_file}"), m_artifacts->paramsFile(job.id));
    }
    if (args.first() == u"crawldeck" && !m_config.selfExecutable.isEmpty())
        args.first() = m_config.selfExecutable;
    const QString program = args.first();
    const QString resolved = program.contains(u'/') ? (QFileInfo(program).isExecutable() ? program : QString())
                                                    : QStandardPaths::findExecutable(program);
    if (resolved.isEmpty())
        return Error::make(Code::Unprocessable,
                           QStringLiteral("cannot start local profile '%1': program '%2' was not found or is "
                                          "not executable")
                               .arg(profile, program));
    args.first() = resolved;
    return args;
}

void LocalRunner::fail(const QString &jobId, const QString &error)
{
    m_bus->system(jobId, LogLevel::Error, error);
    // Asynchronous like every other outcome, so the scheduler sees started-or-finished after start().
    QTimer::singleShot(0, this, [this, jobId, error] {
        Q_EMIT finished(jobId, RunOutcome{RunOutcome::Kind::Failed, std::nullopt, error});
    });
}

bool LocalRunner::takesSlot(const model::Job &job) const
{
    return !jobs::isExternal(job.params);
}

void LocalRunner::waitForWorker(const QString &jobId, bool announce)
{
    m_external.insert(jobId);
    if (announce)
        m_bus->system(jobId, LogLevel::Info,
                      QStringLiteral("waiting for the job's worker: it posts log lines to the callback URL; the job "
                                     "completes with its [SUMMARY] line, or when cancelled"));
    QTimer::singleShot(0, this, [this, jobId] {
        if (m_external.contains(jobId))
            Q_EMIT started(jobId);
    });
}

void LocalRunner::onExternalLines(const QString &jobId, const model::LogLines &lines)
{
    if (!m_external.contains(jobId))
        return;
    for (const model::LogLine &l : lines) {
        if (l.level != LogLevel::Summary)
            continue;
        const auto parsed = logs::LogParser::parse(l.message, l.source);
        if (!parsed.summary)
            continue; // an unreadable summary does not end the job
        const QString status = parsed.summary->value(QStringLiteral("status")).toString().toLower();
        const bool failed = status == u"error" || status == u"failed" || status == u"failure";
        RunOutcome out{failed ? RunOutcome::Kind::Failed : RunOutcome::Kind::Completed, std::nullopt, {}};
        if (failed)
            out.error = QStringLiteral("the worker reported failure: ") +
                        parsed.summary->value(QStringLiteral("error"))
                            .toString(parsed.summary->value(QStringLiteral("message")).toString(status));
        m_external.remove(jobId);
        // Not from inside the LogBus's own signal: the scheduler changes the job's status.
        QTimer::singleShot(0, this, [this, jobId, out] { Q_EMIT finished(jobId, out); });
        return;
    }
}

void LocalRunner::start(const model::Job &job)
{
    if (jobs::isExternal(job.params))
        return waitForWorker(job.id, true);
    if (auto st = m_artifacts->prepare(job.id); !st)
        return fail(job.id, st.error().detail);
    {
        QFile pf(m_artifacts->paramsFile(job.id));
        if (!pf.open(QIODevice::WriteOnly | QIODevice::Truncate) || pf.write(QJsonDocument(job.params).toJson()) < 0)
            return fail(job.id, QStringLiteral("cannot write %1: %2").arg(pf.fileName(), pf.errorString()));
    }
    auto cmd = commandFor(job);
    if (!cmd)
        return fail(job.id, cmd.error().detail);

    auto p = std::make_shared<Proc>();
    p->jobId = job.id;
    p->process = std::make_unique<QProcess>();
    QProcess *proc = p->process.get();
    QStringList args = cmd.value();
    proc->setProgram(args.takeFirst());
    proc->setArguments(args);
    proc->setWorkingDirectory(m_artifacts->outputDir(job.id));

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CRAWLDECK_JOB_ID"), job.id);
    env.insert(QStringLiteral("CRAWLDECK_PARAMS"),
               QString::fromUtf8(QJsonDocument(job.params).toJson(QJsonDocument::Compact)));
    env.insert(QStringLiteral("CRAWLDECK_OUTPUT_DIR"), m_artifacts->outputDir(job.id));
    env.insert(QStringLiteral("CRAWLDECK_PARAMS_FILE"), m_artifacts->paramsFile(job.id));
    if (m_config.callbackFor) {
        const CallbackInfo cb = m_config.callbackFor(job.id);
        env.insert(QStringLiteral("CRAWLDECK_CALLBACK_URL"), cb.url);
        env.insert(QStringLiteral("CRAWLDECK_CALLBACK_TOKEN"), cb.token);
    }
    // Python workers otherwise hold stdout in a 4 KiB buffer and the console looks frozen.
    env.insert(QStringLiteral("PYTHONUNBUFFERED"), QStringLiteral("1"));
    proc->setProcessEnvironment(env);
    proc->setChildProcessModifier([] {
        // Own process group: cancel signals the whole tree, grandchildren included.
        ::setpgid(0, 0);
        // If Crawldeck dies without cleaning up, the worker is told too.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    });

    const QString jobId = job.id;
    Proc *raw = p.get();
    connect(proc, &QProcess::readyReadStandardOutput, this, [this, raw] { onOutput(raw, false, false); });
    connect(proc, &QProcess::readyReadStandardError, this, [this, raw] { onOutput(raw, true, false); });
    connect(proc, &QProcess::started, this, [this, raw, jobId] {
        raw->pgid = raw->process->processId();
        m_bus->system(jobId, LogLevel::Info,
                      QStringLiteral("started %1 (pid %2)").arg(raw->process->program()).arg(raw->pgid));
        Q_EMIT started(jobId);
    });
    connect(proc, &QProcess::errorOccurred, this, [this, raw, jobId](QProcess::ProcessError e) {
        // FailedToStart never reaches finished(); everything else does.
        if (e != QProcess::FailedToStart)
            return;
        raw->failedToStart = true;
        const QString why =
            QStringLiteral("cannot start %1: %2").arg(raw->process->program(), raw->process->errorString());
        const auto keep = m_procs.take(jobId);
        m_bus->system(jobId, LogLevel::Error, why);
        // We are inside the QProcess's own signal: detach it and let the event loop delete it.
        raw->process->disconnect(this);
        raw->process.release()->deleteLater();
        Q_EMIT finished(jobId, RunOutcome{RunOutcome::Kind::Failed, std::nullopt, why});
    });
    connect(proc, &QProcess::finished, this, [this, jobId](int code, QProcess::ExitStatus status) {
        onFinished(jobId, code, status == QProcess::CrashExit);
    });
    m_procs.insert(jobId, p);
    proc->start();
}

void LocalRunner::onOutput(Proc *p, bool stderrStream, bool final)
{
    QByteArray &buf = stderrStream ? p->errBuf : p->outBuf;
    buf += stderrStream ? p->process->readAllStandardError() : p->process->readAllStandardOutput();
    QList<QByteArray> lines;
    qsizetype start = 0;
    for (;;) {
        const qsizetype nl = buf.indexOf('\n', start);
        if (nl < 0)
            break;
        lines.append(buf.mid(start, nl - start));
        start = nl + 1;
    }
    buf.remove(0, start);
    // A line that never ends is still shown: cut it once it passes the protocol's cap.
    if (final || buf.size() > logs::LogParser::kMaxLineBytes) {
        if (!buf.isEmpty())
            lines.append(buf);
        buf.clear();
    }
    if (lines.isEmpty())
        return;
    for (const QByteArray &l : std::as_const(lines))
        if (looksLikeError(l) || (stderrStream && !l.trimmed().isEmpty()))
            p->lastError = QString::fromUtf8(l.trimmed().left(500));
    m_bus->append(p->jobId, stderrStream ? LogSource::Stderr : LogSource::Stdout, lines);
}

void LocalRunner::onFinished(const QString &jobId, int exitCode, bool crashed)
{
    auto p = m_procs.take(jobId);
    if (!p)
        return;
    onOutput(p.get(), false, true);
    onOutput(p.get(), true, true);
    // Stragglers in the group (a grandchild that ignored the parent's exit) go too.
    signalGroup(p->pgid, p->cancelRequested ? SIGKILL : SIGTERM);
    if (p->killTimer)
        p->killTimer->stop();

    RunOutcome out;
    if (!crashed)
        out.exitCode = exitCode;
    if (p->cancelRequested) {
        out.kind = RunOutcome::Kind::Cancelled;
        out.error = QStringLiteral("cancelled");
    } else if (crashed) {
        out.kind = RunOutcome::Kind::Failed;
        out.error = QStringLiteral("worker crashed (%1)").arg(p->process->errorString());
        if (!p->lastError.isEmpty())
            out.error += QStringLiteral("; last error: ") + p->lastError;
    } else if (exitCode == 0) {
        out.kind = RunOutcome::Kind::Completed;
    } else {
        out.kind = RunOutcome::Kind::Failed;
        out.error = QStringLiteral("exit code %1").arg(exitCode);
        if (!p->lastError.isEmpty())
            out.error += QStringLiteral(": ") + p->lastError;
    }
    // A worker killed by our own stop (a cancel or the timeout) did not crash: say what happened.
    m_bus->system(jobId, out.kind == RunOutcome::Kind::Completed ? LogLevel::Info : LogLevel::Warning,
                  !crashed             ? QStringLiteral("process exited with code %1").arg(exitCode)
                  : p->cancelRequested ? QStringLiteral("process stopped by a signal, as asked")
                                       : QStringLiteral("process crashed"));
    // The QProcess emitted this signal; detach it and delete it once control has left it.
    p->process->disconnect(this);
    p->process.release()->deleteLater();
    Q_EMIT finished(jobId, out);
}

void LocalRunner::cancel(const QString &jobId)
{
    if (m_external.remove(jobId)) {
        QTimer::singleShot(0, this, [this, jobId] {
            Q_EMIT finished(jobId, RunOutcome{RunOutcome::Kind::Cancelled, std::nullopt, QStringLiteral("cancelled")});
        });
        return;
    }
    const auto p = m_procs.value(jobId);
    if (!p || p->cancelRequested)
        return;
    p->cancelRequested = true;
    if (p->pgid <= 0) {
        p->process->kill();
        return;
    }
    m_bus->system(
        jobId, LogLevel::Warning,
        QStringLiteral("cancelling: SIGTERM to process group %1, SIGKILL in %2 ms").arg(p->pgid).arg(m_config.graceMs));
    signalGroup(p->pgid, SIGTERM);
    p->killTimer = std::make_unique<QTimer>();
    p->killTimer->setSingleShot(true);
    const qint64 pgid = p->pgid;
    connect(p->killTimer.get(), &QTimer::timeout, this, [pgid] { signalGroup(pgid, SIGKILL); });
    p->killTimer->start(m_config.graceMs);
}

QString LocalRunner::callbackUrl(const QString &jobId) const
{
    if (!m_config.callbackFor)
        return {};
    const CallbackInfo cb = m_config.callbackFor(jobId);
    return cb.url + QStringLiteral("?token=") + cb.token;
}

void LocalRunner::reattach(const model::Job &job)
{
    // The external worker may still be reporting; a process of ours is gone with the old run.
    if (!takesSlot(job))
        return waitForWorker(job.id, false);
    fail(job.id, QStringLiteral("interrupted by restart"));
}

qint64 LocalRunner::processGroup(const QString &jobId) const
{
    const auto p = m_procs.value(jobId);
    return p ? p->pgid : 0;
}

void LocalRunner::shutdown()
{
    // SIGTERM to every group, a short wait, then SIGKILL: nothing outlives the app.
    // Jobs stay as they are in the store; restart recovery settles them.
    m_external.clear();
    const auto procs = std::exchange(m_procs, {});
    for (const auto &p : procs) {
        p->process->disconnect(this);
        if (p->pgid > 0)
            m_bus->system(p->jobId, LogLevel::Warning,
                          QStringLiteral("Crawldeck is shutting down: SIGTERM to process group %1").arg(p->pgid));
        signalGroup(p->pgid, SIGTERM);
    }
    for (const auto &p : procs) {
        if (!p->process->waitForFinished(qMin(m_config.graceMs, 3000)))
            signalGroup(p->pgid, SIGKILL);
        signalGroup(p->pgid, SIGKILL);
        p->process->waitForFinished(1000);
        // What the worker printed while it wound down is its last word on the job: keep it.
        onOutput(p.get(), false, true);
        onOutput(p.get(), true, true);
        if (p->process->state() == QProcess::NotRunning)
            m_bus->system(
                p->jobId, LogLevel::Warning,
                p->process->exitStatus() == QProcess::CrashExit
                    ? QStringLiteral("process stopped by the shutdown (killed)")
                    : QStringLiteral("process stopped by the shutdown (exit code %1)").arg(p->process->exitCode()));
    }
}

} // namespace cd::runners
