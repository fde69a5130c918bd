#pragma once

#include "common/result.h"
#include "model/job.h"

#include <QJsonObject>

namespace cd::http {

// Turns a create-job JSON body into a JobSpec. Seed fields (`keywords`, `domain_count`,
// `start_urls`) are folded into params; `params` may carry anything else. Wrong types are 422s that
// name the field.
struct JobRequest
{
    static Result<model::JobSpec> parse(const QJsonObject &body, bool requireKeywords);
};

} // namespace cd::http
