#pragma once

#include "common/result.h"
#include "model/logline.h"
#include "services.h"

#include <QObject>

namespace cd::http {

class Router;
struct Request;
class Reply;

// What a virtualised log view asks of a job's log besides its lines (GET /api/jobs/{id}/logs):
// where it ends with the seqs at some levels (a filtered view's row map), and the next or previous
// line that matches a search.
class LogsController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogsController)
public:
    // Seqs per page of GET /api/jobs/{id}/logs/index: a million-line log filtered is ten requests,
    // each answer a few hundred kilobytes.
    static constexpr int kMaxIndexPage = 100000;

    explicit LogsController(Services services, QObject *parent = nullptr);
    void registerRoutes(Router &router);

    // The `level` query parameter (comma-separated levels) of a log route; 400 naming an unknown one.
    static Result<QList<model::LogLevel>> queryLevels(const Request &req);

private:
    void index(const Request &req, Reply &&reply);
    void find(const Request &req, Reply &&reply);

    Services m_s;
};

} // namespace cd::http
