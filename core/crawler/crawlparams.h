#pragma once

#include "common/result.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>
#include <QUrl>

namespace cd::crawler {

struct CrawlParams
{
    QList<QUrl> startUrls;
    QStringList keywords;
    int domainCount = 5; // the API's default (POST /api/crawler/start)
    int maxPages = 200;
    int maxDepth = 3;
    bool sameSiteOnly = false;
    int delayMs = 500;   // between two requests to one host (robots Crawl-delay may raise it)
    int concurrency = 4; // requests in flight overall
    QString userAgent = QStringLiteral("CrawldeckBot/0.1");
    int timeoutS = 15; // per request
    int maxRedirects = 5;
    qint64 maxPageBytes = 5 * 1024 * 1024;

    // The job's params as the local runner writes them to {params_file}; wrong types are errors
    // that name the field, every wrong field in one detail ("a; b; c").
    static Result<CrawlParams> fromJson(const QJsonObject &o);
    // Every key fromJson reads: anything else in a crawler job's params would be silently ignored.
    static const QStringList &keys();
};

} // namespace cd::crawler
