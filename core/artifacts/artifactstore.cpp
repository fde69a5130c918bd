#include "artifactstore.h"

#include "artifactcopier.h"
#include "common/logging.h"
#include "common/privatefiles.h"
#include "store/jobstore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QMimeDatabase>
#include <QUuid>

namespace cd::artifacts {

using Code = Error::Code;

ArtifactStore::ArtifactStore(QString root, store::JobStore *jobs) : m_root(std::move(root)), m_jobs(jobs) {}

ArtifactStore::~ArtifactStore() = default;

Status ArtifactStore::copyToDatabase(const QString &location, const QString &applicationName, qint64 maxBytes)
{
    auto copier = std::make_unique<ArtifactCopier>(this, m_node);
    if (auto st = copier->open(location, applicationName); !st)
        return st;
    m_copier = std::move(copier);
    m_maxDatabaseBytes = qMax<qint64>(0, maxBytes);
    return Ok{};
}

QStringList ArtifactStore::jobDirIds() const
{
    QStringList out;
    const QDir jobs(m_root + QStringLiteral("/jobs"));
    for (const QString &name : jobs.entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks))
        // Job ids are UUIDs: anything else in there is not ours to judge.
        if (!QUuid::fromString(name).isNull())
            out << name;
    return out;
}

QString ArtifactStore::jobDir(const QString &jobId) const
{
    return m_root + QStringLiteral("/jobs/") + jobId;
}

QString ArtifactStore::outputDir(const QString &jobId) const
{
    return jobDir(jobId) + QStringLiteral("/output");
}

QString ArtifactStore::paramsFile(const QString &jobId) const
{
    return jobDir(jobId) + QStringLiteral("/params.json");
}

bool ArtifactStore::removeJobDir(const QString &jobId) const
{
    // An id that is not one plain name must never widen what is removed.
    if (jobId.isEmpty() || jobId.contains(u'/') || jobId.contains(u'\\') || jobId == u"." || jobId == u"..")
        return false;
    return QDir(jobDir(jobId)).removeRecursively();
}

Status ArtifactStore::prepare(const QString &jobId) const
{
    // Private whatever the umask: a job's params, logs and results are its owner's alone.
    for (const QString &dir : QStringList{m_root + QStringLiteral("/jobs"), jobDir(jobId), outputDir(jobId)})
        if (!makePrivateDir(dir))
            return Error::make(Code::Unavailable, QStringLiteral("cannot create %1").arg(dir));
    return Ok{};
}

Result<QList<model::Artifact>> ArtifactStore::collect(const QString &jobId) const
{
    QList<model::Artifact> out;
    const QDir base(outputDir(jobId));
    if (!base.exists())
        return out;
    QMimeDatabase mimes;
    QDirIterator it(base.absolutePath(), QDir::Files | QDir::NoSymLinks | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        QCryptographicHash hash(QCryptographicHash::Sha256);
        hash.addData(&f);
        model::Artifact a;
        a.jobId = jobId;
        a.name = base.relativeFilePath(path);
        a.size = f.size();
        a.sha256 = QString::fromLatin1(hash.result().toHex());
        a.mime = mimes.mimeTypeForFile(path).name();
        a.createdAt = QFileInfo(path).lastModified().toUTC();
        a.node = m_node;
        const bool overCap = m_maxDatabaseBytes > 0 && a.size > m_maxDatabaseBytes;
        a.storage = m_copier && !overCap ? QStringLiteral("pending") : QStringLiteral("disk");
        if (m_copier && overCap)
            qCInfo(lcArtifacts).noquote()
                << QStringLiteral("artifact '%1' of job %2 (%3 bytes) is over the %4-byte cap "
                                  "for the database: only this node's disk holds it")
                       .arg(a.name, jobId)
                       .arg(a.size)
                       .arg(m_maxDatabaseBytes);
        if (auto st = m_jobs->upsertArtifact(a); !st)
            return st.error();
        if (a.storage == u"pending")
            m_copier->enqueue(store::ArtifactKey{jobId, a.name}, path);
        out.append(a);
    }
    return out;
}

Status ArtifactStore::checkName(const QString &name)
{
    const QString clean = QDir::cleanPath(name);
    if (name.isEmpty() || clean.startsWith(u'/') || clean == u".." || clean.startsWith(QStringLiteral("../")) ||
        clean.contains(QStringLiteral("/../")))
        return Error::make(Code::InvalidArgument, QStringLiteral("invalid artifact name '%1'").arg(name));
    return Ok{};
}

Result<QString> ArtifactStore::resolve(const QString &jobId, const QString &name) const
{
    if (auto st = checkName(name); !st)
        return st.error();
    const QString clean = QDir::cleanPath(name);
    const QString base = QDir(outputDir(jobId)).canonicalPath();
    const QString full = QFileInfo(outputDir(jobId) + u'/' + clean).canonicalFilePath();
    if (base.isEmpty() || full.isEmpty() || !full.startsWith(base + u'/') || !QFileInfo(full).isFile())
        return Error::make(Code::NotFound, QStringLiteral("job %1 has no artifact '%2'").arg(jobId, name));
    return full;
}

QString ArtifactStore::sanitiseName(const QString &name)
{
    QString out;
    for (const QChar c : name) {
        if (c.unicode() < 0x20 || c == u'/' || c == u'\\' || c == u':' || c == u'*' || c == u'?' || c == u'"' ||
            c == u'<' || c == u'>' || c == u'|')
            out += u'_';
        else
            out += c;
    }
    while (out.startsWith(u'.'))
        out.remove(0, 1);
    out = out.trimmed().left(200);
    if (out.isEmpty())
        out = QStringLiteral("file-") + QUuid::createUuid().toString(QUuid::Id128).left(8);
    return out;
}

} // namespace cd::artifacts
