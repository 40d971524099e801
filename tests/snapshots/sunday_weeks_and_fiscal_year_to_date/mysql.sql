WITH `t7` AS (
  SELECT
    `t2`.`amount`,
    `t2`.`order_date` AS `__d_order_date`,
    `t2`.`order_date` AS `__t`
  FROM `onpace_it_orders` AS `t2`
  WHERE
    `t2`.`order_date` <= DATE('2024-04-28')
    AND `t2`.`order_date` >= DATE('2023-04-01')
)
SELECT
  `t24`.`__p` AS `period`,
  COALESCE(`t24`.`__n0`, 0) AS `orders`,
  CAST(COALESCE(`t24`.`__n2`, 0) AS DOUBLE) AS `order_amount_fytd`
FROM (
  SELECT
    `t23`.`__p`,
    MAX(`t23`.`__in`) AS `__in`,
    MAX(`t23`.`__n0`) AS `__n0`,
    MAX(`t23`.`__n1`) AS `__n1`,
    MAX(`t23`.`__n2`) AS `__n2`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST(`t21`.`__p` AS DATETIME) AS DATE) AS `__p`,
        NULL AS `__in`,
        NULL AS `__n0`,
        NULL AS `__n1`,
        `t21`.`__n2`
      FROM (
        SELECT
          `t4`.`__ap` AS `__p`,
          `t20`.`__c` AS `__n2`
        FROM (
          SELECT
            `t16`.`__day`,
            `t16`.`__v`,
            SUM(`t16`.`__v`) OVER (
              PARTITION BY DATE_FORMAT(`t16`.`__day` - INTERVAL '3' MONTH, '%Y-01-01') + INTERVAL '3' MONTH
              ORDER BY CASE WHEN `t16`.`__day` IS NULL THEN 1 ELSE 0 END, `t16`.`__day` ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS `__c`
          FROM (
            SELECT
              `t14`.`__day`,
              COALESCE(`t14`.`__x`, 0) AS `__v`
            FROM (
              SELECT
                `t12`.`__day`,
                MAX(`t12`.`__in`) AS `__in`,
                MAX(`t12`.`__x`) AS `__x`,
                MAX(`t12`.`__e`) AS `__e`
              FROM (
                SELECT
                  *
                FROM (
                  SELECT
                    `t3`.`__day`,
                    1 AS `__in`,
                    NULL AS `__x`,
                    NULL AS `__e`
                  FROM `onpace_days_b90e7dfab1a4` AS `t3`
                ) AS `t6`
                UNION ALL
                SELECT
                  *
                FROM (
                  SELECT
                    CAST(CAST(`t10`.`__t` AS DATETIME) AS DATE) AS `__day`,
                    NULL AS `__in`,
                    `t10`.`__n1` AS `__x`,
                    1 AS `__e`
                  FROM (
                    SELECT
                      `t8`.`__t`,
                      SUM(`t8`.`amount`) AS `__n1`
                    FROM `t7` AS `t8`
                    GROUP BY
                      1
                  ) AS `t10`
                ) AS `t11`
              ) AS `t12`
              GROUP BY
                1
            ) AS `t14`
            WHERE
              `t14`.`__in` IS NOT NULL
          ) AS `t16`
        ) AS `t20`
        INNER JOIN `onpace_asof_ae3aa4c70fa8` AS `t4`
          ON `t20`.`__day` = `t4`.`__ad`
      ) AS `t21`
    ) AS `t22`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t0`.`__p`,
          1 AS `__in`,
          NULL AS `__n0`,
          NULL AS `__n1`,
          NULL AS `__n2`
        FROM `onpace_periods_e966898cbe18` AS `t0`
      ) AS `t5`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t15`.`__p` AS DATETIME) AS DATE) AS `__p`,
          NULL AS `__in`,
          `t15`.`__n0`,
          `t15`.`__n1`,
          NULL AS `__n2`
        FROM (
          SELECT
            `t13`.`__p`,
            SUM(`t13`.`__n0`) AS `__n0`,
            SUM(`t13`.`__n1`) AS `__n1`
          FROM (
            SELECT
              `t9`.`__t`,
              `t9`.`__n1`,
              `t9`.`__n0`,
              `t9`.`__t` - INTERVAL ((
                (
                  (
                    DAYOFWEEK(`t9`.`__t`) + 5
                  ) % 7
                ) + 1
              ) % 7) DAY AS `__p`
            FROM (
              SELECT
                `t8`.`__t`,
                SUM(`t8`.`amount`) AS `__n1`,
                COUNT(*) AS `__n0`
              FROM `t7` AS `t8`
              GROUP BY
                1
            ) AS `t9`
            WHERE
              `t9`.`__t` <= DATE('2024-04-28') AND `t9`.`__t` >= DATE('2024-03-03')
          ) AS `t13`
          GROUP BY
            1
        ) AS `t15`
      ) AS `t17`
    ) AS `t18`
  ) AS `t23`
  GROUP BY
    1
) AS `t24`
WHERE
  `t24`.`__in` IS NOT NULL AND `t24`.`__p` >= DATE('2024-03-03')
