#pragma once

#include "clienterror.h"
#include "model/artifact.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <QCoro/QCoroTask>

namespace cd::client {

class ApiClient;

// Downloads one artifact to a file. The bytes go to `<file>.part` first; a later run resumes a part
// file with `Range: bytes=N-` (a server that answers 200 instead is read from the start). The file
// appears under its name only once its size and sha256 match the artifact list. Network errors and
// stalls (the client's timeout of silence) are retried with backoff, resuming where they stopped.
class ArtifactDownload final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ArtifactDownload)

public:
    ArtifactDownload(ApiClient *client, model::Artifact artifact, QString filePath, QObject *parent = nullptr);

    // The bytes transferred by this run (less than the size when it resumed).
    QCoro::Task<ClientResult<qint64>> run();
    // Where the last request started: > 0 when the server resumed a part file.
    qint64 resumedFrom() const { return m_resumedFrom; }
    static QString partPath(const QString &filePath) { return filePath + QStringLiteral(".part"); }

Q_SIGNALS:
    void progress(qint64 received, qint64 total);

private:
    ClientResult<qint64> finish(qint64 transferred);

    QPointer<ApiClient> m_client;
    model::Artifact m_artifact;
    QString m_path;
    qint64 m_resumedFrom = 0;
};

} // namespace cd::client
