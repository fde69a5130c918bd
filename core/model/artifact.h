#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace cd::model {

struct Artifact
{
    QString jobId;
    QString name; // relative path inside the job's output directory, '/'-separated
    qint64 size = 0;
    QString sha256;
    QString mime;
    QString sourceUrl; // where a downloaded result came from; empty for files a worker wrote
    QDateTime createdAt;
    // Where the bytes are, so that any node can tell how to serve it: "disk" (only on `node`'s
    // disk), "pending" (a copy into the shared database is due) or "database" (complete there).
    QString storage = QStringLiteral("disk");
    QString node; // the node whose disk holds the file it was recorded from; empty before nodes

    QJsonObject toJson() const
    {
        return QJsonObject{
            {QStringLiteral("name"), name},
            {QStringLiteral("size"), size},
            {QStringLiteral("sha256"), sha256},
            {QStringLiteral("mime"), mime},
            {QStringLiteral("source_url"), sourceUrl.isEmpty() ? QJsonValue() : QJsonValue(sourceUrl)},
            {QStringLiteral("created_at"), createdAt.toUTC().toString(Qt::ISODateWithMs)},
            {QStringLiteral("storage"), storage},
            {QStringLiteral("node"), node.isEmpty() ? QJsonValue() : QJsonValue(node)},
        };
    }
};

} // namespace cd::model
