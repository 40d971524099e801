WITH "t10" AS (
  SELECT
    "t9"."__p",
    "t9"."__d_segment",
    QUANTILE_CONT(CAST("t9"."amount" AS DOUBLE), 0.5) AS "__n0",
    QUANTILE_CONT(CAST("t9"."amount" AS DOUBLE), 0.9) AS "__n1"
  FROM (
    SELECT
      "t8"."amount",
      "t8"."__d_order_date",
      "t8"."__k0",
      "t8"."__j0",
      "t8"."__d_segment",
      "t8"."__d_order_date" AS "__t",
      MAKE_DATE(2024, 1, 1) AS "__p"
    FROM (
      SELECT
        "t6"."amount",
        "t6"."__d_order_date",
        "t6"."__k0",
        "t7"."__j0",
        "t7"."__d_segment"
      FROM (
        SELECT
          "t1"."amount",
          "t1"."order_date" AS "__d_order_date",
          "t1"."customer_id" AS "__k0"
        FROM "onpace_it_orders" AS "t1"
      ) AS "t6"
      LEFT OUTER JOIN (
        SELECT
          "t2"."id" AS "__j0",
          "t2"."segment" AS "__d_segment"
        FROM "onpace_it_customers" AS "t2"
      ) AS "t7"
        ON "t6"."__k0" = "t7"."__j0"
    ) AS "t8"
    WHERE
      "t8"."__d_order_date" <= MAKE_DATE(2024, 12, 31)
      AND "t8"."__d_order_date" >= MAKE_DATE(2024, 1, 1)
  ) AS "t9"
  GROUP BY
    1,
    2
)
SELECT
  "t16"."__d_segment" AS "segment",
  "t16"."__n0" AS "median_order_amount",
  "t16"."__n1" AS "p90_order_amount"
FROM (
  SELECT
    "t3"."__p",
    "t15"."__d_segment",
    "t14"."__n0",
    "t14"."__n1"
  FROM "onpace_periods_be3cd274cffe" AS "t3"
  CROSS JOIN (
    SELECT DISTINCT
      "t11"."__d_segment"
    FROM "t10" AS "t11"
    WHERE
      "t11"."__p" >= MAKE_DATE(2024, 1, 1) AND "t11"."__p" <= MAKE_DATE(2024, 1, 1)
  ) AS "t15"
  LEFT OUTER JOIN (
    SELECT
      "t11"."__p" AS "__g0p",
      "t11"."__d_segment" AS "__g0_0",
      "t11"."__n0",
      "t11"."__n1"
    FROM "t10" AS "t11"
  ) AS "t14"
    ON "t3"."__p" = "t14"."__g0p"
    AND "t15"."__d_segment" IS NOT DISTINCT FROM "t14"."__g0_0"
) AS "t16"
