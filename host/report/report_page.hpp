// The listening report's page: HTML, CSS and script in one file
// (report_page.html, embedded by the build), the rows embedded as JSON. No
// network: nothing is fetched but the pictures and the audio beside it. The
// script renders one page of rows at a time (50), so the first screen of
// 10,000 rows costs 50 rows of DOM; images load lazily and audio reads only
// its metadata until played. Paths are percent-encoded segment by segment
// (file names hold spaces, '#' and '?').
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace drumsynth {

std::string report_page(const nlohmann::json& summary, const nlohmann::json& rows);

}  // namespace drumsynth
