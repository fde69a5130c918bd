#include "secretstore.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace cd::settings {

namespace {
const QString kService = QStringLiteral("crawldeck");
constexpr int kKeychainTimeoutMs = 3000;

// Waits for a keychain job with a deadline: a missing or locked keychain must not hang start-up.
QKeychain::Error runJob(QKeychain::Job &job)
{
    job.setAutoDelete(false);
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    deadline.start(kKeychainTimeoutMs);
    job.start();
    loop.exec();
    return deadline.isActive() ? job.error() : QKeychain::OtherError;
}
} // namespace

SecretStore::SecretStore(QString dataDir, bool useKeychain)
    : m_dir(std::move(dataDir) + QStringLiteral("/secrets")), m_useKeychain(useKeychain)
{}

QString SecretStore::filePath(const QString &name) const
{
    return m_dir + u'/' + name;
}

SecretStore::Value SecretStore::read(const QString &name) const
{
    if (m_useKeychain) {
        QKeychain::ReadPasswordJob job(kService);
        job.setKey(name);
        if (runJob(job) == QKeychain::NoError && !job.textData().isEmpty())
            return {job.textData(), QStringLiteral("keychain")};
    }
    QFile f(filePath(name));
    if (f.open(QIODevice::ReadOnly))
        return {QString::fromUtf8(f.readAll()).trimmed(), f.fileName()};
    return {};
}

Result<QString> SecretStore::write(const QString &name, const QString &secret)
{
    if (m_useKeychain) {
        QKeychain::WritePasswordJob job(kService);
        job.setKey(name);
        job.setTextData(secret);
        if (runJob(job) == QKeychain::NoError) {
            QFile::remove(filePath(name)); // no stale plain copy next to the keychain's
            return QStringLiteral("keychain");
        }
    }
    if (!QDir().mkpath(m_dir))
        return Error::make(Error::Code::Unavailable, QStringLiteral("cannot create %1").arg(m_dir));
    QFile::setPermissions(m_dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QFile f(filePath(name));
    // Create with owner-only permissions before any byte of the secret is written.
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate, QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return Error::make(Error::Code::Unavailable,
                           QStringLiteral("cannot write %1: %2").arg(f.fileName(), f.errorString()));
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(secret.toUtf8());
    return f.fileName();
}

void SecretStore::remove(const QString &name)
{
    if (m_useKeychain) {
        QKeychain::DeletePasswordJob job(kService);
        job.setKey(name);
        runJob(job);
    }
    QFile::remove(filePath(name));
}

bool SecretStore::keychainAnswers() const
{
    if (!m_useKeychain)
        return false;
    if (!m_answers) {
        QKeychain::ReadPasswordJob job(kService);
        job.setKey(QStringLiteral("keychain-probe"));
        const auto e = runJob(job);
        m_answers = e == QKeychain::NoError || e == QKeychain::EntryNotFound;
    }
    return *m_answers;
}

} // namespace cd::settings
