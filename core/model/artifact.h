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

    QJsonObject toJson() const
    {
        return QJsonObject{
            {QStringLiteral("name"), name},
            {QStringLiteral("size"), size},
            {QStringLiteral("sha256"), sha256},
            {QStringLiteral("mime"), mime},
            {QStringLiteral("source_url"), sourceUrl.isEmpty() ? QJsonValue() : QJsonValue(sourceUrl)},
            {QStringLiteral("created_at"), createdAt.toUTC().toString(Qt::ISODateWithMs)},
        };
    }
};

} // namespace cd::model
