WITH "t8" AS (
  SELECT
    "t7"."__t",
    SUM("t7"."amount") AS "__n1",
    COUNT(*) AS "__n0"
  FROM (
    SELECT
      "t2"."amount",
      "t2"."order_date" AS "__d_order_date",
      "t2"."order_date" AS "__t"
    FROM "onpace_it_orders" AS "t2"
    WHERE
      "t2"."order_date" <= MAKE_DATE(2024, 4, 28)
      AND "t2"."order_date" >= MAKE_DATE(2023, 4, 1)
  ) AS "t7"
  GROUP BY
    1
)
SELECT
  "t21"."__p" AS "period",
  "t21"."__n0" AS "orders",
  CAST("t21"."__n2" AS DOUBLE PRECISION) AS "order_amount_fytd"
FROM (
  SELECT
    "t4"."__p",
    COALESCE("t15"."__n0", 0) AS "__n0",
    COALESCE("t15"."__n1", 0) AS "__n1",
    COALESCE("t20"."__n2", 0) AS "__n2"
  FROM "onpace_periods_e966898cbe18" AS "t4"
  LEFT OUTER JOIN (
    SELECT
      "t13"."__p" AS "__g0p",
      "t13"."__n0",
      "t13"."__n1"
    FROM (
      SELECT
        "t11"."__p",
        SUM("t11"."__n0") AS "__n0",
        SUM("t11"."__n1") AS "__n1"
      FROM (
        SELECT
          "t9"."__t",
          "t9"."__n1",
          "t9"."__n0",
          DATE_TRUNC('WEEK', "t9"."__t" + INTERVAL '1 DAY') - INTERVAL '1 DAY' AS "__p"
        FROM "t8" AS "t9"
        WHERE
          "t9"."__t" <= MAKE_DATE(2024, 4, 28) AND "t9"."__t" >= MAKE_DATE(2024, 3, 3)
      ) AS "t11"
      GROUP BY
        1
    ) AS "t13"
  ) AS "t15"
    ON "t4"."__p" = "t15"."__g0p"
  LEFT OUTER JOIN (
    SELECT
      "t18"."__p" AS "__g1p",
      "t18"."__n2"
    FROM (
      SELECT
        "t5"."__ap" AS "__p",
        "t17"."__c" AS "__n2"
      FROM (
        SELECT
          "t12"."__day",
          "t12"."__v",
          SUM("t12"."__v") OVER (
            PARTITION BY DATE_TRUNC('YEAR', "t12"."__day" - INTERVAL '3 MONTH') + INTERVAL '3 MONTH'
            ORDER BY "t12"."__day" ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS "__c"
        FROM (
          SELECT
            "t6"."__day",
            COALESCE("t10"."__n1", 0) AS "__v"
          FROM "onpace_days_b90e7dfab1a4" AS "t6"
          LEFT OUTER JOIN "t8" AS "t10"
            ON "t6"."__day" = "t10"."__t"
        ) AS "t12"
      ) AS "t17"
      INNER JOIN "onpace_asof_ae3aa4c70fa8" AS "t5"
        ON "t17"."__day" = "t5"."__ad"
    ) AS "t18"
  ) AS "t20"
    ON "t4"."__p" = "t20"."__g1p"
) AS "t21"
WHERE
  "t21"."__p" >= MAKE_DATE(2024, 3, 3)
