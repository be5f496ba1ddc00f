#!/usr/bin/env python3
"""Synthetic credit-scoring table with the schema of the trainings' data.

The trainings' file (a cleaned credit-score classification table) is not
available, so this writes one of the same shape: numeric columns about the
customer's money and credit, the categorical columns the trainings' code
encodes (``Occupation``, ``Payment_of_Min_Amount``, ``Credit_Mix``,
``Spending_Level``, ``Payment_Value``), ``is_train``, and the target
``Credit_Score`` (Poor / Standard / Good).  The target is drawn from a noisy
score of the features (delays, debt, utilization, credit mix, history...),
so a model's accuracy means something: well above the 53 % of always
answering "Standard", well below 100 %.

    python credit_data.py --rows 100000 --out credit_data.csv
"""

import argparse

import numpy as np
import pandas as pd

OCCUPATIONS = ["Accountant", "Architect", "Developer", "Doctor", "Engineer",
               "Entrepreneur", "Journalist", "Lawyer", "Manager", "Mechanic",
               "Media_Manager", "Musician", "Scientist", "Teacher", "Writer"]
NUMERIC = ["Age", "Annual_Income", "Monthly_Inhand_Salary", "Num_Bank_Accounts",
           "Num_Credit_Card", "Interest_Rate", "Num_of_Loan", "Delay_from_due_date",
           "Num_of_Delayed_Payment", "Changed_Credit_Limit", "Num_Credit_Inquiries",
           "Outstanding_Debt", "Credit_Utilization_Ratio", "Credit_History_Age",
           "Total_EMI_per_month", "Amount_invested_monthly", "Monthly_Balance"]
CATEGORIES = {
    "Credit_Mix": ["Bad", "Standard", "Good"],
    "Spending_Level": ["Low", "High"],
    "Payment_Value": ["Small", "Medium", "Large"],
}
TARGET = "Credit_Score"
CLASSES = ["Poor", "Standard", "Good"]


def make(rows=100_000, seed=0):
    """The table as a DataFrame; the same ``rows`` and ``seed`` give the same table."""
    rng = np.random.default_rng(seed)
    n = rows
    age = rng.integers(18, 70, n)
    occupation = rng.choice(OCCUPATIONS, n)
    income = np.round(rng.lognormal(10.6, 0.6, n), 2)
    salary = np.round(income / 12 * rng.uniform(0.75, 0.95, n), 2)
    accounts = rng.integers(0, 11, n)
    cards = rng.integers(0, 11, n)
    loans = rng.integers(0, 9, n)
    # a hidden "riskiness" drives the credit behaviour columns
    risk = rng.normal(0, 1, n) + 0.25 * (loans - 4) / 2.5 - 0.3 * np.log(income / 40000)
    interest = np.clip(np.round(14 + 7 * risk + rng.normal(0, 4, n)), 1, 34)
    delay = np.clip(np.round(20 + 14 * risk + rng.normal(0, 8, n)), 0, 67)
    delayed = np.clip(np.round(12 + 6 * risk + rng.normal(0, 4, n)), 0, 28)
    limit_change = np.round(10 + 4 * risk + rng.normal(0, 5, n), 2)
    inquiries = np.clip(np.round(5 + 3 * risk + rng.normal(0, 2.5, n)), 0, 17)
    debt = np.round(np.clip(1400 + 900 * risk + rng.normal(0, 600, n), 0, 5000), 2)
    utilization = np.round(np.clip(32 + 3 * risk + rng.normal(0, 5, n), 20, 50), 2)
    history = np.clip(np.round(220 - 80 * risk + 2.5 * (age - 40) + rng.normal(0, 60, n)), 1, 404)
    emi = np.round(loans * rng.uniform(10, 60, n), 2)
    invested = np.round(salary * rng.uniform(0.02, 0.15, n), 2)
    balance = np.round(np.clip(salary - emi - invested - rng.uniform(0, 0.6, n) * salary, 0, None), 2)
    mix_score = -risk + rng.normal(0, 0.6, n)
    credit_mix = np.select([mix_score < -0.6, mix_score < 0.6], ["Bad", "Standard"], "Good")
    min_amount = np.where(risk + rng.normal(0, 0.7, n) > 0.2, "Yes",
                          np.where(rng.random(n) < 0.15, "NM", "No"))
    spending = np.where(rng.random(n) < 0.45 + 0.1 * np.tanh(risk), "High", "Low")
    value = rng.choice(CATEGORIES["Payment_Value"], n, p=[0.35, 0.4, 0.25])

    # the score the target is drawn from: mostly risk, some of it only
    # visible through non-linear effects and interactions
    score = (-risk
             + 0.5 * (credit_mix == "Good") - 0.5 * (credit_mix == "Bad")
             - 0.3 * (min_amount == "Yes")
             + 0.004 * (history - 220)
             - 0.4 * ((spending == "High") & (value == "Large"))
             + 0.3 * np.sin(age / 6.0)
             + rng.normal(0, 0.55, n))
    # class shares as in the usual credit-score tables: 29 / 53 / 18 %
    poor, good = np.quantile(score, [0.29, 0.82])
    target = np.select([score < poor, score < good], ["Poor", "Standard"], "Good")

    df = pd.DataFrame({
        "Age": age, "Occupation": occupation, "Annual_Income": income,
        "Monthly_Inhand_Salary": salary, "Num_Bank_Accounts": accounts,
        "Num_Credit_Card": cards, "Interest_Rate": interest, "Num_of_Loan": loans,
        "Delay_from_due_date": delay, "Num_of_Delayed_Payment": delayed,
        "Changed_Credit_Limit": limit_change, "Num_Credit_Inquiries": inquiries,
        "Credit_Mix": credit_mix, "Outstanding_Debt": debt,
        "Credit_Utilization_Ratio": utilization, "Credit_History_Age": history,
        "Payment_of_Min_Amount": min_amount, "Total_EMI_per_month": emi,
        "Amount_invested_monthly": invested, "Spending_Level": spending,
        "Payment_Value": value, "Monthly_Balance": balance,
        "is_train": rng.random(n) < 0.8, TARGET: target,
    })
    return df


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="credit_data.csv")
    args = p.parse_args(argv)
    df = make(args.rows, args.seed)
    df.to_csv(args.out, index=False)
    counts = df[TARGET].value_counts(normalize=True).round(3).to_dict()
    print(f"wrote {args.out}: {len(df):,} rows, {TARGET} {counts}")


if __name__ == "__main__":
    main()
