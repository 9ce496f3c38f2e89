"""Ideal-customer-profile score from explicit, inspectable factors.

Every factor is recorded with its points so an operator (and the analytics) can see why a
lead scored what it did; the weights are a team decision and live in `IcpWeights`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IcpWeights:
    """Points per factor; the score is points / max points, so 0.0 to 1.0."""

    company_size: float = 0.30
    seniority: float = 0.25
    business_domain: float = 0.15
    domain_verified: float = 0.10
    target_country: float = 0.10
    target_industry: float = 0.10
    target_countries: frozenset[str] = field(
        default_factory=lambda: frozenset(
            {
                "us",
                "usa",
                "united states",
                "ca",
                "canada",
                "uk",
                "united kingdom",
                "gb",
                "germany",
                "de",
                "france",
                "fr",
                "netherlands",
                "nl",
                "ireland",
                "ie",
                "australia",
                "au",
            }
        )
    )
    target_industries: tuple[str, ...] = (
        "software", "saas", "technology", "fintech", "financial", "e-commerce",
        "ecommerce", "marketing", "logistics", "healthcare", "manufacturing",
    )  # fmt: skip


@dataclass(frozen=True)
class IcpInputs:
    employees: int | None
    job_title: str
    is_free_mail: bool
    domain_verified: bool
    country: str
    industry: str


@dataclass(frozen=True)
class IcpScore:
    score: float
    factors: dict[str, float]

    @property
    def bucket(self) -> str:
        """Coarse band used by analytics and by operators scanning a queue."""
        if self.score >= 0.9:
            return "A"
        if self.score >= 0.7:
            return "B"
        if self.score >= 0.4:
            return "C"
        return "D"


_SENIOR = re.compile(
    r"\b(ceo|cto|cfo|coo|cio|cmo|cro|founder|co-founder|owner|president|chief|vp|"
    r"vice president|head of|director|partner)\b",
    re.IGNORECASE,
)
_MANAGER = re.compile(r"\b(manager|lead|principal|senior)\b", re.IGNORECASE)


def company_size_fraction(employees: int | None) -> float:
    """Our sweet spot is 50-5,000 employees; tiny and huge companies buy differently."""
    if employees is None:
        return 0.3
    if employees < 10:
        return 0.1
    if employees < 50:
        return 0.5
    if employees <= 5000:
        return 1.0
    return 0.7


def seniority_fraction(job_title: str) -> float:
    if _SENIOR.search(job_title):
        return 1.0
    if _MANAGER.search(job_title):
        return 0.6
    return 0.2 if job_title else 0.0


def score_icp(inputs: IcpInputs, weights: IcpWeights | None = None) -> IcpScore:
    """Weighted sum of the factors, normalised to 0..1 and rounded for stable display."""
    w = weights or IcpWeights()
    industry = inputs.industry.lower()
    factors = {
        "company_size": w.company_size * company_size_fraction(inputs.employees),
        "seniority": w.seniority * seniority_fraction(inputs.job_title),
        "business_domain": 0.0 if inputs.is_free_mail else w.business_domain,
        "domain_verified": w.domain_verified if inputs.domain_verified else 0.0,
        "target_country": (
            w.target_country if inputs.country.strip().lower() in w.target_countries else 0.0
        ),
        "target_industry": (
            w.target_industry
            if industry and any(term in industry for term in w.target_industries)
            else 0.0
        ),
    }
    maximum = (
        w.company_size
        + w.seniority
        + w.business_domain
        + w.domain_verified
        + w.target_country
        + w.target_industry
    )
    rounded = {name: round(points, 4) for name, points in factors.items()}
    return IcpScore(score=round(sum(factors.values()) / maximum, 4), factors=rounded)
